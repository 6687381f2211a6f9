import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { grammarNames, TreeSitter } from "../../src/suggestions/treesitter.ts"

const run = <A>(program: Effect.Effect<A, never, TreeSitter>) =>
  Effect.runPromise(program.pipe(Effect.provide(TreeSitter.layer)))

describe("TreeSitter", () => {
  it("loads every grammar of the package and parses with it", async () => {
    const loaded = await run(Effect.forEach(grammarNames, (name) => TreeSitter.use((ts) => ts.has(name))))
    expect(loaded.every(Boolean)).toBe(true)
  })

  it.each([
    ["python", "def f(x):\n    return x\n", "function_definition"],
    ["javascript", "function f(x) { return x }\n", "function_declaration"],
    ["typescript", "function f(x: number): number { return x }\n", "function_declaration"],
    ["tsx", 'const view = () => <div className="a">{1}</div>\n', "jsx_element"],
    ["go", "package main\nfunc f() int { return 1 }\n", "function_declaration"],
    ["java", "class A { int f() { return 1; } }\n", "method_declaration"],
    ["ruby", "def f\n  1\nend\n", "method"],
    ["rust", "fn f() -> i32 { 1 }\n", "function_item"],
  ])("parses %s into a tree without errors", async (grammar, source, expectedNode) => {
    const result = await run(TreeSitter.use((ts) =>
      ts.parse(grammar, source, (tree) => ({
        hasError: tree.rootNode.hasError,
        types: tree.rootNode.descendantsOfType(expectedNode).length,
      }))
    ))
    expect(result).toEqual({ hasError: false, types: 1 })
  })

  it("yields undefined for a language without a grammar, never fails", async () => {
    const result = await run(TreeSitter.use((ts) => ts.parse("kotlin", "fun f() = 1", () => "parsed")))
    expect(result).toBeUndefined()
    expect(await run(TreeSitter.use((ts) => ts.parse(undefined, "x", () => "parsed")))).toBeUndefined()
  })

  it("reports syntax errors in the tree", async () => {
    const hasError = await run(
      TreeSitter.use((ts) => ts.parse("python", "def f(:\n", (tree) => tree.rootNode.hasError)),
    )
    expect(hasError).toBe(true)
  })
})
