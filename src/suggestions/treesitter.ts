/**
 * TreeSitter: parsers for the languages whose grammar `@vscode/tree-sitter-wasm` ships, loaded
 * once per process in the background when the layer starts (off the request path), and shared by
 * pre-processing (imports, signatures, the block around the cursor) and post-processing.
 *
 * Grammars are `.wasm` files from the npm package: nothing is downloaded at run time. A language
 * without a grammar, or a grammar that failed to load, yields `undefined`: callers then skip
 * their tree-sitter step rather than fail.
 */
import { Context, Deferred, Effect, Layer } from "effect"
import { readFile } from "node:fs/promises"
import { createRequire } from "node:module"
import { Language as Grammar, Parser, type Tree } from "web-tree-sitter"

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

export type { Node, Tree } from "web-tree-sitter"

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
   * afterwards (trees must not escape `use`). Waits for the background load if it is still
   * running; `undefined` when there is no grammar. Parsing is synchronous, so one parser per
   * grammar serves every fiber.
   */
  readonly parse: <A>(
    grammar: string | undefined,
    text: string,
    use: (tree: Tree) => A,
  ) => Effect.Effect<A | undefined>
  /** Whether the grammar exists and loaded. */
  readonly has: (grammar: string | undefined) => Effect.Effect<boolean>
  /**
   * The synchronous form of `parse` for one grammar, for pure steps that parse only when they
   * find they need to; `undefined` when there is no grammar.
   */
  readonly parser: (grammar: string | undefined) => Effect.Effect<SyncParse | undefined>
}>()("aigw/suggestions/TreeSitter") {
  static readonly layer = Layer.effect(
    TreeSitter,
    Effect.gen(function* () {
      const loaded = yield* Deferred.make<ReadonlyMap<string, Parser>>()
      yield* Effect.forkDetach(Deferred.complete(loaded, loadParsers))
      const parserFor = (grammar: string | undefined) =>
        grammar === undefined
          ? Effect.succeed(undefined)
          : Effect.map(Deferred.await(loaded), (parsers) => parsers.get(grammar))
      return TreeSitter.of({
        parse: (grammar, text, use) =>
          Effect.map(
            parserFor(grammar),
            (parser) => parser === undefined ? undefined : syncParse(parser)(text, use),
          ),
        has: (grammar) => Effect.map(parserFor(grammar), (parser) => parser !== undefined),
        parser: (grammar) =>
          Effect.map(parserFor(grammar), (parser) => parser === undefined ? undefined : syncParse(parser)),
      })
    }),
  )
}

// Resolved like a require so that it works the same under Node, Deno and test runners.
const resolvePackageFile = createRequire(import.meta.url).resolve

const wasmPath = (file: string) => resolvePackageFile(`@vscode/tree-sitter-wasm/wasm/${file}`)

const loadParsers: Effect.Effect<ReadonlyMap<string, Parser>> = Effect.gen(function* () {
  const runtime = yield* Effect.tryPromise(async () => {
    // The runtime comes from web-tree-sitter itself: it must match that package's JavaScript.
    const wasm = await readFile(resolvePackageFile("web-tree-sitter/web-tree-sitter.wasm"))
    await Parser.init({ wasmBinary: wasm } as never)
  }).pipe(Effect.result)
  const parsers = new Map<string, Parser>()
  if (runtime._tag === "Failure") {
    yield* Effect.logError("tree-sitter could not start; syntax-aware steps are skipped", runtime.failure)
    return parsers
  }
  for (const name of grammarNames) {
    const grammar = yield* Effect.tryPromise(async () =>
      Grammar.load(new Uint8Array(await readFile(wasmPath(`tree-sitter-${name}.wasm`))))
    ).pipe(Effect.result)
    if (grammar._tag === "Success") parsers.set(name, new Parser().setLanguage(grammar.success))
    else yield* Effect.logWarning(`tree-sitter grammar ${name} could not be loaded`, grammar.failure)
  }
  return parsers
})
