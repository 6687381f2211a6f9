import { describe, expect, it } from "vitest"
import { Result, Schema } from "effect"
import { BoundedString, LaxBoolean, LaxInt, TrimmedString } from "../../src/schema/Lax.ts"

const decode = <S extends Schema.Decoder<unknown>>(schema: S, input: unknown) =>
  Schema.decodeUnknownResult(schema)(input)

describe("LaxBoolean", () => {
  it.each([
    [true, true],
    [false, false],
    [1, true],
    [0, false],
    ["true", true],
    ["True", true],
    ["FALSE", false],
    ["yes", true],
    ["No", false],
    ["on", true],
    ["OFF", false],
    ["1", true],
    ["0", false],
    ["t", true],
    ["F", false],
    ["y", true],
    ["n", false],
  ])("accepts %j as %s", (input, expected) => {
    expect(decode(LaxBoolean, input)).toEqual(Result.succeed(expected))
  })

  it.each([["maybe"], [2], [""], [null], [["true"]], [0.5]])("rejects %j", (input) => {
    expect(Result.isFailure(decode(LaxBoolean, input))).toBe(true)
  })
})

describe("LaxInt", () => {
  it.each([
    [12, 12],
    ["12", 12],
    ["-3", -3],
    [" 7 ", 7],
    [0, 0],
  ])("accepts %j as %d", (input, expected) => {
    expect(decode(LaxInt, input)).toEqual(Result.succeed(expected))
  })

  it.each([["12.5"], [12.5], ["abc"], [""], [true], [null]])("rejects %j", (input) => {
    expect(Result.isFailure(decode(LaxInt, input))).toBe(true)
  })
})

describe("TrimmedString", () => {
  const FileName = TrimmedString(5)

  it("trims before checking the length", () => {
    expect(decode(FileName, "  a.py  ")).toEqual(Result.succeed("a.py"))
    expect(decode(FileName, " abcde ")).toEqual(Result.succeed("abcde"))
  })

  it("rejects a value longer than the limit after trimming", () => {
    expect(Result.isFailure(decode(FileName, "abcdef"))).toBe(true)
  })

  it("is not coerced from a number", () => {
    expect(Result.isFailure(decode(FileName, 123))).toBe(true)
  })
})

describe("BoundedString", () => {
  it("accepts the limit and rejects one past it", () => {
    expect(Result.isSuccess(decode(BoundedString(3), "abc"))).toBe(true)
    expect(Result.isFailure(decode(BoundedString(3), "abcd"))).toBe(true)
  })
})
