import { describe, expect, it } from "vitest"
import { detectLanguage } from "../../src/suggestions/language.ts"
import {
  anthropicGenerationPrompt,
  buildGenerationInstruction,
} from "../../src/suggestions/prompts/generation.ts"
import { countTokens } from "../../src/suggestions/tokens.ts"

describe("generation prompt", () => {
  const input = {
    fileName: "src/main.py",
    language: detectLanguage("src/main.py"),
    prefix: "import os\n\n# generate a function that reverses a string\n",
    suffix: "\nprint('done')\n",
    budgetTokens: 4_096,
    codeContext: () => undefined,
  }

  it("states the language and file, shows the code around the cursor, and asks for <new_code>", () => {
    const instruction = buildGenerationInstruction(input).text
    expect(instruction).toContain("Python")
    expect(instruction).toContain("src/main.py")
    expect(instruction).toContain(
      "<existing_code>\nimport os\n\n# generate a function that reverses a string\n<cursor/>\nprint('done')\n\n</existing_code>",
    )
    expect(instruction).toContain("<new_code>")
    expect(instruction).toContain("</new_code>")
  })

  it("frames it for Anthropic with the assistant turn prefilled", () => {
    const prompt = anthropicGenerationPrompt(buildGenerationInstruction(input).text)
    expect(prompt.startsWith("\n\nHuman: You are an expert Python programmer.")).toBe(true)
    expect(prompt.endsWith("\n\nAssistant: <new_code>")).toBe(true)
  })

  it("fits a large file into the model's budget", () => {
    const prefix = "x = 1\n".repeat(20_000)
    const instruction = buildGenerationInstruction({ ...input, prefix, budgetTokens: 4_096 }).text
    expect(countTokens(instruction)).toBeLessThanOrEqual(4_096)
    expect(instruction).toContain("x = 1\n<cursor/>")
  })
})
