/**
 * Code context that tree-sitter extracts from the file for prompts (SPEC §3.5): the imports and
 * the signatures of the functions defined in it. Both are plain functions over a parsed tree;
 * the node kinds per grammar are the only language knowledge here.
 */
import {
  compileQuery,
  type Language,
  type Node,
  type Query,
  type SyncParse,
  type Tree,
} from "./treesitter.ts"

interface GrammarContext {
  /** Node kinds that are import-like statements, taken whole. */
  readonly imports: ReadonlyArray<string>
  /** Node kinds that define a function; their signature is the text before the body. */
  readonly functions: ReadonlyArray<string>
  /** Calls that import in languages where importing is a call (`require "x"`). */
  readonly importCalls?: ReadonlyArray<string>
}

const javascriptLike: GrammarContext = {
  imports: ["import_statement"],
  functions: [
    "function_declaration",
    "generator_function_declaration",
    "method_definition",
    "function_signature",
  ],
}

const contexts: Readonly<Record<string, GrammarContext>> = {
  python: {
    imports: ["import_statement", "import_from_statement", "future_import_statement"],
    functions: ["function_definition"],
  },
  javascript: javascriptLike,
  typescript: javascriptLike,
  tsx: javascriptLike,
  go: { imports: ["import_declaration"], functions: ["function_declaration", "method_declaration"] },
  java: { imports: ["import_declaration"], functions: ["method_declaration", "constructor_declaration"] },
  ruby: {
    imports: [],
    importCalls: ["require", "require_relative", "load"],
    functions: ["method", "singleton_method"],
  },
  rust: {
    imports: ["use_declaration", "extern_crate_declaration"],
    functions: ["function_item", "function_signature_item"],
  },
  cpp: { imports: ["preproc_include", "using_declaration"], functions: ["function_definition"] },
  "c-sharp": {
    imports: ["using_directive"],
    functions: ["method_declaration", "constructor_declaration", "local_function_statement"],
  },
  php: {
    imports: [
      "namespace_use_declaration",
      "require_expression",
      "require_once_expression",
      "include_expression",
      "include_once_expression",
    ],
    functions: ["function_definition", "method_declaration"],
  },
  bash: { imports: [], functions: ["function_definition"] },
}

/** Whether tree-sitter context extraction knows the grammar. */
export const hasCodeContext = (grammar: string | undefined): boolean =>
  grammar !== undefined && grammar in contexts

/** The text of a function node up to its body: `def f(x: int) -> int`, `func (s *S) F() error`. */
const signatureOf = (node: Node, source: string): string => {
  const body = node.childForFieldName("body")
  const end = body === null ? node.endIndex : body.startIndex
  return source.slice(node.startIndex, end).trimEnd().replace(/[:{=]$/, "").trimEnd()
}

export interface CodeContext {
  readonly imports: ReadonlyArray<string>
  readonly functionSignatures: ReadonlyArray<string>
}

const querySource = (context: GrammarContext): string => {
  const patterns: Array<string> = []
  if (context.imports.length > 0) {
    patterns.push(`[${context.imports.map((kind) => `(${kind})`).join(" ")}] @import`)
  }
  if (context.importCalls !== undefined && context.importCalls.length > 0) {
    const names = context.importCalls.map((name) => JSON.stringify(name)).join(" ")
    patterns.push(`((call method: (identifier) @method) @import (#any-of? @method ${names}))`)
  }
  if (context.functions.length > 0) {
    patterns.push(`[${context.functions.map((kind) => `(${kind})`).join(" ")}] @function`)
  }
  return patterns.join("\n")
}

// Compiled once per loaded grammar (a reloaded grammar is a new language): the query runs in WASM,
// far faster than walking nodes in JavaScript.
const queries = new WeakMap<Language, Query>()

/** Grammar versions differ in node names: keep the kinds this grammar has. */
const knownKinds = (language: Tree["language"], kinds: ReadonlyArray<string>) =>
  kinds.filter((kind) => {
    try {
      compileQuery(language, `(${kind}) @known`).delete()
      return true
    } catch {
      return false
    }
  })

const queryFor = (context: GrammarContext, tree: Tree): Query => {
  const cached = queries.get(tree.language)
  if (cached !== undefined) return cached
  const available: GrammarContext = {
    ...context,
    imports: knownKinds(tree.language, context.imports),
    functions: knownKinds(tree.language, context.functions),
  }
  const query = compileQuery(tree.language, querySource(available))
  queries.set(tree.language, query)
  return query
}

/** The imports and function signatures of a parsed file, in source order, however large. */
export const extractCodeContext = (grammar: string, tree: Tree, source: string): CodeContext => {
  const context = contexts[grammar]
  if (context === undefined) return { imports: [], functionSignatures: [] }
  const imports: Array<string> = []
  const functionSignatures: Array<string> = []
  for (const capture of queryFor(context, tree).captures(tree.rootNode)) {
    if (capture.name === "import") {
      imports.push(source.slice(capture.node.startIndex, capture.node.endIndex).trim())
    } else if (capture.name === "function") functionSignatures.push(signatureOf(capture.node, source))
  }
  return { imports, functionSignatures }
}

/** Below this size the dropped code is parsed whole. */
const wholeParseLimit = 5_000
/** Imports sit at the top of a file: this much of it is parsed for them. */
const headLength = 2_000
/** Signatures nearest the kept code are the useful ones: this much before it is parsed. */
const tailLength = 3_000

const lineEndBefore = (text: string, index: number) => {
  const end = text.lastIndexOf("\n", index)
  return end === -1 ? index : end + 1
}

/** The start of a line with no indentation at or after `index` (a top-level statement). */
const topLevelLineAfter = (text: string, index: number) => {
  let start = text.indexOf("\n", index)
  while (start !== -1 && start + 1 < text.length) {
    const first = text[start + 1]
    if (first !== " " && first !== "\t" && first !== "\n" && first !== "\r") return start + 1
    start = text.indexOf("\n", start + 1)
  }
  return text.length
}

/**
 * The imports and signatures of the code a prompt had to drop, parsing at most the file's head and
 * the part just before the kept code, so a 100 KB file costs about as much as a 10 KB one.
 */
export const extractDroppedContext = (
  grammar: string,
  dropped: string,
  parse: <A>(text: string, use: (tree: Tree) => A) => A | undefined,
): CodeContext | undefined => {
  if (dropped.length <= wholeParseLimit) {
    return parse(dropped, (tree) => extractCodeContext(grammar, tree, dropped))
  }
  const head = dropped.slice(0, lineEndBefore(dropped, headLength))
  const tail = dropped.slice(topLevelLineAfter(dropped, dropped.length - tailLength))
  const fromHead = parse(head, (tree) => extractCodeContext(grammar, tree, head))
  const fromTail = parse(tail, (tree) => extractCodeContext(grammar, tree, tail))
  if (fromHead === undefined && fromTail === undefined) return undefined
  const unique = (entries: ReadonlyArray<string>) => [...new Set(entries)]
  return {
    imports: unique([...(fromHead?.imports ?? []), ...(fromTail?.imports ?? [])]),
    functionSignatures: unique([
      ...(fromHead?.functionSignatures ?? []),
      ...(fromTail?.functionSignatures ?? []),
    ]),
  }
}

/**
 * What a prompt builder asks for the imports and signatures of the code it had to drop; it
 * parses only when asked, so the common short file is never parsed.
 */
export type CodeContextReader = (dropped: string) => CodeContext | undefined

/** No grammar with code context (or no parser): the prompt gets none. */
export const noCodeContext: CodeContextReader = () => undefined

export const codeContextReader = (
  grammar: string | undefined,
  parse: SyncParse | undefined,
): CodeContextReader =>
  grammar === undefined || parse === undefined || !hasCodeContext(grammar)
    ? noCodeContext
    : (dropped) => extractDroppedContext(grammar, dropped, parse)
