import { describe, expect, it } from "vitest"
import { countTokens, keepFirstTokens, keepLastTokens } from "../../src/suggestions/tokens.ts"

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
      expect(countTokens(kept)).toBeLessThanOrEqual(budget)
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
