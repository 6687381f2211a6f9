import { describe, expect, it } from "vitest"
import { buildCompletionPrompt } from "../../src/suggestions/prompts/completion.ts"
import { detectLanguage } from "../../src/suggestions/language.ts"
import { countTokens } from "../../src/suggestions/tokens.ts"

const python = detectLanguage("app.py")
const noContext = () => undefined

describe("buildCompletionPrompt", () => {
  it("keeps a short file whole, after a header naming the file and language", () => {
    const prompt = buildCompletionPrompt({
      fileName: "app.py",
      language: python,
      prefix: "def add(x, y):\n    return ",
      suffix: "\n\nprint(add(1, 2))\n",
      budgetTokens: 2_000,
      codeContext: () => {
        throw new Error("a file that fits is not parsed")
      },
    })
    expect(prompt.prefix).toBe("# File: app.py (Python)\ndef add(x, y):\n    return ")
    expect(prompt.suffix).toBe("\n\nprint(add(1, 2))\n")
  })

  it("writes the header in the language's comment syntax, and none for an unknown language", () => {
    const base = { prefix: "x", suffix: "", budgetTokens: 100, codeContext: noContext }
    expect(buildCompletionPrompt({ ...base, fileName: "a.go", language: detectLanguage("a.go") }).prefix)
      .toBe("// File: a.go (Go)\nx")
    expect(buildCompletionPrompt({ ...base, fileName: "a.css", language: detectLanguage("a.css") }).prefix)
      .toBe("/* File: a.css (CSS) */\nx")
    expect(buildCompletionPrompt({ ...base, fileName: "notes.txt", language: undefined }).prefix).toBe("x")
  })

  it("cuts the suffix to its 7 % share and gives the prefix the rest, nearest the cursor", () => {
    const prefix = Array.from({ length: 3_000 }, (_, index) => `value_${index} = ${index}\n`).join("")
    const suffix = Array.from({ length: 3_000 }, (_, index) => `after_${index} = ${index}\n`).join("")
    const prompt = buildCompletionPrompt({
      fileName: "app.py",
      language: python,
      prefix,
      suffix,
      budgetTokens: 2_048,
      codeContext: noContext,
    })
    expect(suffix.startsWith(prompt.suffix)).toBe(true)
    expect(prompt.tokens.suffix).toBeLessThanOrEqual(Math.floor(2_048 * 0.07))
    expect(prompt.tokens.suffix).toBeGreaterThan(100)
    const kept = prompt.prefix.slice(prompt.prefix.indexOf("\n") + 1)
    expect(prefix.endsWith(kept)).toBe(true)
    expect(kept).toMatch(/^value_\d+ = \d+\n/)
    expect(countTokens(prompt.prefix) + countTokens(prompt.suffix)).toBeLessThanOrEqual(2_048)
    expect(countTokens(prompt.prefix) + countTokens(prompt.suffix)).toBeGreaterThan(2_048 * 0.95)
  })

  it("gives the prefix what a short suffix does not use", () => {
    const prefix = "x = 1\n".repeat(2_000)
    const prompt = buildCompletionPrompt({
      fileName: "app.py",
      language: python,
      prefix,
      suffix: "",
      budgetTokens: 1_000,
      codeContext: noContext,
    })
    expect(countTokens(prompt.prefix)).toBeGreaterThan(950)
  })

  it("adds the imports and signatures the cut prefix lost, within their shares", () => {
    const dropped = "import os\nfrom typing import List\n\ndef helper(x: int) -> int:\n    return x\n"
    const prefix = dropped + "y = 2\n".repeat(2_000)
    let parsed = ""
    const prompt = buildCompletionPrompt({
      fileName: "app.py",
      language: python,
      prefix,
      suffix: "",
      budgetTokens: 500,
      codeContext: (text) => {
        parsed = text
        return {
          imports: ["import os", "from typing import List"],
          functionSignatures: ["def helper(x: int) -> int"],
        }
      },
    })
    expect(prefix.startsWith(parsed)).toBe(true)
    expect(prompt.prefix).toMatch(
      /^# File: app\.py \(Python\)\nimport os\nfrom typing import List\n# Functions defined in this file:\n# def helper\(x: int\) -> int\ny = 2\n/,
    )
    expect(prompt.tokens.imports).toBeGreaterThan(0)
    expect(prompt.tokens.function_signatures).toBeGreaterThan(0)
    expect(countTokens(prompt.prefix)).toBeLessThanOrEqual(500)
  })

  it("does not repeat context already inside the kept prefix", () => {
    const prefix = "y = 2\n".repeat(2_000) + "import os\n"
    const prompt = buildCompletionPrompt({
      fileName: "app.py",
      language: python,
      prefix,
      suffix: "",
      budgetTokens: 300,
      codeContext: () => ({ imports: ["import os"], functionSignatures: [] }),
    })
    expect(prompt.prefix.match(/import os/g)).toHaveLength(1)
    expect(prompt.tokens.imports).toBe(0)
  })
})
