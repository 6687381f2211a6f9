/**
 * TreeSitter: parsers for the languages whose grammar `@vscode/tree-sitter-wasm` ships, shared by
 * pre-processing (imports, signatures, the block around the cursor) and post-processing.
 *
 * A grammar is loaded when a request first needs it (about 10 ms; concurrent first requests share
 * one load), and at most `maxGrammars` are kept, the least recently used dropped first: the 14
 * grammars hold about 60 MB together (C++ and C# about 20 MB each), which a gateway whose users
 * write two or three languages should not carry (docs/decisions.md, "Memory at idle").
 *
 * Each grammar runs in its own copy of the web-tree-sitter runtime. A grammar loaded into a
 * runtime lives in that runtime's WebAssembly memory until the runtime goes (there is no unload),
 * so dropping a grammar means dropping its runtime; the memory is freed once no parse of it is
 * running.
 *
 * Grammars are `.wasm` files from the npm package: nothing is downloaded at run time. A language
 * without a grammar, or a grammar that failed to load, yields `undefined`: callers then skip
 * their tree-sitter step rather than fail.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { readFile } from "node:fs/promises"
import { createRequire } from "node:module"
import type { Language, Parser, Query, Tree } from "web-tree-sitter"

/** The grammar names shipped by `@vscode/tree-sitter-wasm` that languages refer to. */
export const grammarNames = [
  "bash",
  "c-sharp",
  "cpp",
  "css",
  "go",
  "java",
  "javascript",
  "php",
  "powershell",
  "python",
  "ruby",
  "rust",
  "tsx",
  "typescript",
] as const

export type GrammarName = typeof grammarNames[number]

export type { Language, Node, Query, Tree } from "web-tree-sitter"

/**
 * Grammars kept loaded by default: a team's usual languages (say TypeScript, TSX, JavaScript and
 * Python, or Go, Ruby and a shell) stay loaded, and the worst case (C++, C# and four more) stays
 * near 60 MB. A language past them is reloaded when asked for, in about 10 ms.
 */
export const defaultMaxGrammars = 6

/** Parses `text` and passes the tree to `use`; the tree is freed afterwards. */
export type SyncParse = <A>(text: string, use: (tree: Tree) => A) => A | undefined

const syncParse = (parser: Parser): SyncParse => (text, use) => {
  const tree = parser.parse(text)
  if (tree === null) return undefined
  try {
    return use(tree)
  } finally {
    tree.delete()
  }
}

export class TreeSitter extends Context.Service<TreeSitter, {
  /**
   * Parses `text` with the grammar and passes the tree to `use`, freeing the tree's WASM memory
   * afterwards (trees must not escape `use`). Loads the grammar first if it is not loaded;
   * `undefined` when there is no grammar. Parsing is synchronous, so one parser per grammar
   * serves every fiber.
   */
  readonly parse: <A>(
    grammar: string | undefined,
    text: string,
    use: (tree: Tree) => A,
  ) => Effect.Effect<A | undefined>
  /** Whether the grammar exists and loads. */
  readonly has: (grammar: string | undefined) => Effect.Effect<boolean>
  /**
   * The synchronous form of `parse` for one grammar, for pure steps that parse only when they
   * find they need to; `undefined` when there is no grammar.
   */
  readonly parser: (grammar: string | undefined) => Effect.Effect<SyncParse | undefined>
  /** The grammars loaded now, the most recently used first; at most `maxGrammars` of them. */
  readonly loaded: Effect.Effect<ReadonlyArray<GrammarName>>
}>()("aigw/suggestions/TreeSitter") {
  /** At most `maxGrammars` grammars kept (at least one). */
  static readonly layerWith = (options: { readonly maxGrammars: number }) =>
    Layer.effect(
      TreeSitter,
      Effect.gen(function* () {
        const maxGrammars = Math.max(1, options.maxGrammars)
        const runtimeWasm = yield* Effect.cached(
          Effect.tryPromise(() => readFile(resolvePackageFile("web-tree-sitter/web-tree-sitter.wasm"))),
        )
        // Insertion order is recency: a use moves the grammar to the end, the first is dropped.
        const held = new Map<GrammarName, Effect.Effect<SyncParse | undefined>>()
        const unavailable = new Set<GrammarName>()

        const load = (name: GrammarName) =>
          Effect.flatMap(runtimeWasm, (wasm) => Effect.tryPromise(() => loadGrammar(wasm, name))).pipe(
            Effect.catch((cause) =>
              Effect.as(
                Effect.logWarning(`tree-sitter grammar ${name} could not be loaded`, cause),
                undefined,
              )
            ),
          )

        /** The grammar's load, started or shared, and marked as the most recently used. */
        const use = (grammar: GrammarName, fresh: Effect.Effect<SyncParse | undefined>) => {
          const loading = held.get(grammar) ?? fresh
          held.delete(grammar)
          for (const name of held.keys()) {
            if (held.size < maxGrammars) break
            held.delete(name)
          }
          held.set(grammar, loading)
          return loading
        }

        const parserFor = (grammar: string | undefined): Effect.Effect<SyncParse | undefined> => {
          if (!isGrammarName(grammar) || unavailable.has(grammar)) return Effect.succeed(undefined)
          return Effect.flatMap(Effect.cached(load(grammar)), (fresh) => {
            const loading = use(grammar, fresh)
            return Effect.tap(loading, (parse) =>
              Effect.sync(() => {
                if (parse !== undefined) return
                // A grammar that fails once fails again: it is not retried on every request.
                unavailable.add(grammar)
                if (held.get(grammar) === loading) held.delete(grammar)
              }))
          })
        }

        return TreeSitter.of({
          parse: (grammar, text, use) =>
            Effect.map(parserFor(grammar), (parse) => parse === undefined ? undefined : parse(text, use)),
          has: (grammar) => Effect.map(parserFor(grammar), (parse) => parse !== undefined),
          parser: parserFor,
          loaded: Effect.sync(() => [...held.keys()].reverse()),
        })
      }),
    )

  /** At most `defaultMaxGrammars` grammars kept. */
  static readonly layer = TreeSitter.layerWith({ maxGrammars: defaultMaxGrammars })
}

const isGrammarName = (grammar: string | undefined): grammar is GrammarName =>
  grammar !== undefined && (grammarNames as ReadonlyArray<string>).includes(grammar)

// Resolved like a require so that it works the same under Node, Deno and test runners.
const requirePackage = createRequire(import.meta.url)
const resolvePackageFile = requirePackage.resolve

const runtimeModule = resolvePackageFile("web-tree-sitter")

/**
 * A copy of web-tree-sitter's JavaScript of its own: the runtime's WebAssembly instance is module
 * state, so a copy is a runtime that goes, memory and all, when nothing refers to it.
 */
const freshRuntime = (): typeof import("web-tree-sitter") => {
  delete requirePackage.cache[runtimeModule]
  const exports = requirePackage(runtimeModule)
  const loadedModule = requirePackage.cache[runtimeModule]
  // `require` also lists the module among its parent's children, which would keep every copy.
  const siblings = loadedModule?.parent?.children
  const index = siblings?.indexOf(loadedModule!) ?? -1
  if (index >= 0) siblings!.splice(index, 1)
  delete requirePackage.cache[runtimeModule]
  return exports
}

/** Each language's `Query` class: a query must be compiled by the runtime of its language. */
const queryClasses = new WeakMap<Language, typeof Query>()

/** Compiles a query for the language of a tree (see `freshRuntime`). */
export const compileQuery = (language: Language, source: string): Query => {
  const QueryOfRuntime = queryClasses.get(language)
  if (QueryOfRuntime === undefined) throw new Error("a language not loaded by TreeSitter")
  return new QueryOfRuntime(language, source)
}

const loadGrammar = async (runtimeWasm: Uint8Array, name: GrammarName): Promise<SyncParse> => {
  const runtime = freshRuntime()
  // The runtime's WebAssembly comes from web-tree-sitter itself: it must match its JavaScript.
  await runtime.Parser.init({ wasmBinary: runtimeWasm } as never)
  const grammar = await runtime.Language.load(
    new Uint8Array(
      await readFile(resolvePackageFile(`@vscode/tree-sitter-wasm/wasm/tree-sitter-${name}.wasm`)),
    ),
  )
  queryClasses.set(grammar, runtime.Query)
  return syncParse(new runtime.Parser().setLanguage(grammar))
}
