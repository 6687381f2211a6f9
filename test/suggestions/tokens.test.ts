import { describe, expect, it } from "vitest"
import { encode } from "gpt-tokenizer/encoding/cl100k_base"
import {
  countTokens,
  exactTokensCap,
  keepFirstCounted,
  keepFirstTokens,
  keepLastCounted,
  keepLastTokens,
} from "../../src/suggestions/tokens.ts"

const pythonLine = (index: number) =>
  `def function_${index}(value):\n    return value * ${index}  # ünïcödé 🙂 注释\n`
const bigFile = Array.from({ length: 2_000 }, (_, index) => pythonLine(index)).join("") // ≈ 100,000 chars

const hasBrokenSurrogate = (text: string) =>
  /(?:[\ud800-\udbff](?![\udc00-\udfff]))|(?:(?<![\ud800-\udbff])[\udc00-\udfff])/.test(text)

describe("countTokens", () => {
  it("counts real tokens, not characters", () => {
    expect(countTokens("")).toBe(0)
    expect(countTokens("hello world")).toBe(2)
    expect(countTokens("def add(x, y):\n    return x + y\n")).toBeLessThan(20)
  })
})

describe("keepLastTokens", () => {
  it("keeps a text that fits unchanged", () => {
    expect(keepLastTokens("short text", 100)).toBe("short text")
  })

  it("keeps the end of a 100,000-character file within the budget, nearest the cursor", () => {
    expect(bigFile.length).toBeGreaterThan(95_000)
    for (const budget of [1, 50, 2_048, 8_192]) {
      const kept = keepLastTokens(bigFile, budget)
      expect(bigFile.endsWith(kept)).toBe(true)
      expect(encode(kept).length).toBeLessThanOrEqual(budget)
      expect(hasBrokenSurrogate(kept)).toBe(false)
      // Nearly all of the budget is used: one more piece would not fit.
      expect(countTokens(bigFile.slice(bigFile.length - kept.length - 8))).toBeGreaterThan(countTokens(kept))
    }
  })

  it("keeps the whole text when the budget covers it", () => {
    const text = bigFile.slice(0, 5_000)
    expect(keepLastTokens(text, countTokens(text))).toBe(text)
  })

  it("never splits an emoji's surrogate pair", () => {
    const emojis = "🙂".repeat(3_000)
    for (const budget of [1, 2, 3, 7, 100]) {
      const kept = keepLastTokens(emojis, budget)
      expect(hasBrokenSurrogate(kept)).toBe(false)
      expect(kept.length % 2).toBe(0)
      expect(countTokens(kept)).toBeLessThanOrEqual(budget)
    }
  })

  it("returns nothing for a zero budget", () => {
    expect(keepLastTokens(bigFile, 0)).toBe("")
  })
})

describe("keepFirstTokens", () => {
  it("keeps the start of a long text within the budget", () => {
    for (const budget of [1, 140, 2_048]) {
      const kept = keepFirstTokens(bigFile, budget)
      expect(bigFile.startsWith(kept)).toBe(true)
      expect(countTokens(kept)).toBeLessThanOrEqual(budget)
      expect(countTokens(bigFile.slice(0, kept.length + 8))).toBeGreaterThan(countTokens(kept))
      expect(hasBrokenSurrogate(kept)).toBe(false)
    }
  })

  it("keeps multi-byte text whole when it fits", () => {
    expect(keepFirstTokens("注释 🙂", 50)).toBe("注释 🙂")
  })
})

/** One-request attacks on the tokenizer (SPEC §13): each 100,000 characters long. */
const hostileTexts: ReadonlyArray<readonly [name: string, text: string]> = [
  ["CJK", "漢字仮名交じり文中文字符测试한국어".repeat(6_000).slice(0, 100_000)],
  ["emoji", "🙂😀🎉👍".repeat(12_500)],
  ["one letter", "a".repeat(100_000)],
  ["spaces", " ".repeat(100_000)],
  ["a lone high surrogate at the end", " ㄱ".repeat(49_999) + "\ud800" + "x"],
  ["a lone low surrogate at the start", "\udc00" + " ㄱ".repeat(49_999) + "x"],
  ["mixed scripts", "def f(x):  # ünï 注释 🙂 Привет مرحبا".repeat(3_000).slice(0, 100_000)],
]

describe("hostile texts", () => {
  it.each(hostileTexts)("%s: keeps an end and a start that fit and use the budget", (_name, text) => {
    expect(text.length).toBeGreaterThanOrEqual(99_999)
    const wellFormed = text.toWellFormed()
    // Within the exact range the count is checked by one whole pass of the tokenizer.
    const exactBudget = 2_048
    expect(exactBudget).toBeLessThanOrEqual(exactTokensCap)
    const last = keepLastTokens(text, exactBudget)
    const first = keepFirstTokens(text, exactBudget)
    for (const kept of [last, first]) {
      expect(hasBrokenSurrogate(kept)).toBe(false)
      expect(encode(kept).length).toBeLessThanOrEqual(exactBudget)
      // The prompt keeps what fits, not a few characters: the whole text, or most of the budget.
      if (kept.length < text.length) expect(encode(kept).length).toBeGreaterThan(exactBudget * 0.9)
    }
    expect(wellFormed.endsWith(last)).toBe(true)
    expect(wellFormed.startsWith(first)).toBe(true)
    // Past the exact range (a Claude-sized budget) the count is an upper bound.
    const bigLast = keepLastCounted(text, 93_000)
    const bigFirst = keepFirstCounted(text, 93_000)
    for (const kept of [bigLast, bigFirst]) {
      expect(kept.tokens).toBeLessThanOrEqual(93_000)
      expect(hasBrokenSurrogate(kept.text)).toBe(false)
      expect(kept.text.length).toBeGreaterThanOrEqual(last.length)
      if (last.length < text.length) expect(kept.text.length).toBeGreaterThan(last.length)
    }
    expect(wellFormed.endsWith(bigLast.text)).toBe(true)
    expect(wellFormed.startsWith(bigFirst.text)).toBe(true)
  })

  it("replaces a lone surrogate with U+FFFD and keeps the text around it", () => {
    const text = "x".repeat(10) + "\ud800" + " ㄱ".repeat(3_000)
    const kept = keepFirstTokens(text, 100)
    expect(kept.startsWith("x".repeat(10) + "\ufffd")).toBe(true)
    expect(keepLastTokens("abc\udc00", 10)).toBe("abc\ufffd")
  })

  it("counts special-token markers in a file as ordinary text", () => {
    const text = "x = '<|endoftext|>'\n".repeat(2_000)
    expect(countTokens("<|endoftext|>")).toBeGreaterThan(1)
    expect(text.endsWith(keepLastTokens(text, 100))).toBe(true)
    expect(text.startsWith(keepFirstTokens(text, 100))).toBe(true)
  })

  it("counts ordinary code exactly, as one pass over the whole text would", () => {
    const text = bigFile.slice(0, 10_000)
    expect(countTokens(text)).toBe(encode(text).length)
  })
})
