/** Prompt conversions shared by the providers. */
import { describe, expect, it } from "vitest"
import { humanAssistantToMessages, messagesToText, textToMessages } from "../../src/models/prompt.ts"

describe("humanAssistantToMessages", () => {
  it.each([
    ["plain prompt", "Write a haiku", { messages: [{ role: "user", content: "Write a haiku" }] }],
    ["preamble and turns", "Be brief.\n\nHuman: Hi\n\nAssistant:", {
      system: "Be brief.",
      messages: [{ role: "user", content: "Hi" }],
    }],
    [
      "trailing prefill",
      "\n\nHuman: Code?\n\nAssistant: <new_code>",
      { messages: [{ role: "user", content: "Code?" }, { role: "assistant", content: "<new_code>" }] },
    ],
    [
      "merged consecutive human turns",
      "\n\nHuman: a\n\nHuman: b\n\nAssistant:",
      { messages: [{ role: "user", content: "a\n\nb" }] },
    ],
  ])("%s", (_, prompt, expected) => {
    expect(humanAssistantToMessages(prompt)).toEqual({ _tag: "Messages", ...expected })
  })
})

describe("text and messages", () => {
  it("turns prefix + suffix into an infilling conversation", () => {
    const prompt = textToMessages({ _tag: "Text", prefix: "a(", suffix: ")" })
    expect(prompt.messages).toEqual([{ role: "user", content: "a(<cursor/>)" }])
    expect(prompt.system).toContain("<cursor/>")
  })

  it("renders a conversation as a Human/Assistant prompt, open for the answer", () => {
    expect(messagesToText({ _tag: "Messages", system: "S", messages: [{ role: "user", content: "Q" }] }))
      .toBe("S\n\nHuman: Q\n\nAssistant:")
  })
})
