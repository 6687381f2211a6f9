/**
 * A model asked to continue a text instead of being prefilled with it may repeat that text
 * first: the repeat is dropped from a whole answer and from the first chunks of a stream.
 */
import { Effect, Stream } from "effect"
import { describe, expect, it } from "vitest"
import { streamWithoutEcho, withoutEcho } from "../../src/models/anthropic/echo.ts"

const streamed = (chunks: ReadonlyArray<string>, echo: string) =>
  Effect.runPromise(Stream.runCollect(streamWithoutEcho(Stream.fromIterable(chunks), echo)))

describe("withoutEcho", () => {
  it.each([
    ["<new_code>def f():", "<new_code>", "def f():"],
    ["\n <new_code>x", "<new_code>", "x"],
    ["def f():", "<new_code>", "def f():"],
    ["<new", "<new_code>", "<new"],
    ["anything", "", "anything"],
  ])("%j without a leading %j is %j", (text, echo, expected) => {
    expect(withoutEcho(text, echo)).toBe(expected)
  })
})

describe("streamWithoutEcho", () => {
  it.each([
    [["<new_", "code>a", " + b"], ["a", " + b"]],
    [["<new_code>"], []],
    [["<new_code>", "a"], ["a"]],
    [["a + b"], ["a + b"]],
    [["<n", "o"], ["<no"]],
    [["<new_"], ["<new_"]],
  ])("%j gives %j", async (chunks, expected) => {
    expect(await streamed(chunks, "<new_code>")).toEqual(expected)
  })

  it("passes every chunk through when there is nothing to drop", async () => {
    expect(await streamed(["<new_", "code>"], "")).toEqual(["<new_", "code>"])
  })
})
