/**
 * Code context that tree-sitter extracts from the file for prompts (SPEC §3.5): the imports and
 * the signatures of the functions defined in it. Both are plain functions over a parsed tree;
 * the node kinds per grammar are the only language knowledge here.
 */
import type { Node, Tree } from "./treesitter.ts"

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

const importCallName = (node: Node): string | undefined => {
  if (node.type !== "call") return undefined
  return node.childForFieldName("method")?.text
}

export interface CodeContext {
  readonly imports: ReadonlyArray<string>
  readonly functionSignatures: ReadonlyArray<string>
}

/**
 * Walks the tree once (no node-count cap: large files are walked whole) and collects imports and
 * function signatures in source order.
 */
export const extractCodeContext = (grammar: string, tree: Tree, source: string): CodeContext => {
  const context = contexts[grammar]
  if (context === undefined) return { imports: [], functionSignatures: [] }
  const importKinds = new Set(context.imports)
  const functionKinds = new Set(context.functions)
  const importCalls = new Set(context.importCalls ?? [])
  const imports: Array<string> = []
  const functionSignatures: Array<string> = []
  const cursor = tree.walk()
  let descend = true
  for (;;) {
    if (descend) {
      const node = cursor.currentNode
      if (importKinds.has(node.type) || importCalls.has(importCallName(node) ?? "")) {
        imports.push(source.slice(node.startIndex, node.endIndex).trim())
        descend = false
      } else if (functionKinds.has(node.type)) {
        functionSignatures.push(signatureOf(node, source))
      }
    }
    if (descend && cursor.gotoFirstChild()) continue
    descend = true
    if (cursor.gotoNextSibling()) continue
    let climbing = true
    while (climbing) {
      if (!cursor.gotoParent()) {
        cursor.delete()
        return { imports, functionSignatures }
      }
      climbing = !cursor.gotoNextSibling()
    }
  }
}
