import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { extractCodeContext } from "../../src/suggestions/codeContext.ts"
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

describe("TreeSitter grammars on demand", () => {
  const pythonSource = "import os\n\ndef add(a: int, b: int) -> int:\n    return a + b\n"
  const pythonContext = { imports: ["import os"], functionSignatures: ["def add(a: int, b: int) -> int"] }
  const contextOf = (grammar: string, source: string) =>
    TreeSitter.use((ts) => ts.parse(grammar, source, (tree) => extractCodeContext(grammar, tree, source)))
  const loaded = TreeSitter.use((ts) => ts.loaded)
  const runWith = <A>(maxGrammars: number, program: Effect.Effect<A, never, TreeSitter>) =>
    Effect.runPromise(program.pipe(Effect.provide(TreeSitter.layerWith({ maxGrammars }))))

  it("loads nothing at start, and a language's first request gets its code context", async () => {
    const [before, context, after] = await runWith(
      6,
      Effect.all([loaded, contextOf("python", pythonSource), loaded]),
    )
    expect(before).toEqual([])
    expect(context).toEqual(pythonContext)
    expect(after).toEqual(["python"])
  })

  it("concurrent first requests of a language share one load", async () => {
    const [contexts, held] = await runWith(
      6,
      Effect.all([
        Effect.all(Array.from({ length: 8 }, () => contextOf("python", pythonSource)), {
          concurrency: "unbounded",
        }),
        loaded,
      ]),
    )
    expect(contexts).toEqual(Array.from({ length: 8 }, () => pythonContext))
    expect(held).toEqual(["python"])
  })

  it("keeps at most the bound, dropping the least recently used grammar", async () => {
    const held = await runWith(
      2,
      Effect.gen(function* () {
        yield* contextOf("python", pythonSource)
        yield* contextOf("go", "package main\nfunc f() int { return 1 }\n")
        yield* contextOf("python", pythonSource)
        yield* contextOf("rust", "fn f() -> i32 { 1 }\n")
        return yield* loaded
      }),
    )
    expect(held).toEqual(["rust", "python"])
  })

  it("a dropped grammar is loaded again when asked for, with its code context", async () => {
    const [first, afterOthers, again, held] = await runWith(
      1,
      Effect.all([
        contextOf("python", pythonSource),
        Effect.andThen(contextOf("go", "package main\n"), loaded),
        contextOf("python", pythonSource),
        loaded,
      ]),
    )
    expect(first).toEqual(pythonContext)
    expect(afterOthers).toEqual(["go"])
    expect(again).toEqual(pythonContext)
    expect(held).toEqual(["python"])
  })

  it("a language without a grammar takes no place in the bound", async () => {
    const held = await runWith(
      1,
      Effect.andThen(
        Effect.all([contextOf("python", pythonSource), contextOf("kotlin", "fun f() = 1")]),
        loaded,
      ),
    )
    expect(held).toEqual(["python"])
  })
})
