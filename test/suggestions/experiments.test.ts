import { describe, expect, it } from "vitest"
import { pickVariant } from "../../src/suggestions/experiments.ts"

describe("pickVariant", () => {
  it("picks in proportion to the weights", () => {
    expect(pickVariant([100, 0], 0)).toBe(0)
    expect(pickVariant([100, 0], 0.999)).toBe(0)
    expect(pickVariant([0, 100], 0)).toBe(1)
    expect(pickVariant([50, 50], 0.49)).toBe(0)
    expect(pickVariant([50, 50], 0.5)).toBe(1)
    expect(pickVariant([1, 3], 0.3)).toBe(1)
  })

  it("splits many draws close to the weights", () => {
    const counts = [0, 0]
    for (let draw = 0; draw < 1_000; draw++) counts[pickVariant([30, 70], draw / 1_000)]! += 1
    expect(counts).toEqual([300, 700])
  })
})
