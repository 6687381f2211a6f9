/**
 * What every post-processing op sees (SPEC §3.6): the completion and the code around the cursor,
 * the language, and — for languages with a grammar — a synchronous tree-sitter parse.
 * Ops are plain functions: `(input) => completion`; `""` ends the pipeline.
 */
import type { Language } from "../language.ts"
import type { SyncParse } from "../treesitter.ts"

export interface OpInput {
  readonly prefix: string
  readonly suffix: string
  readonly completion: string
  readonly language: Language | undefined
  /** Parses with the language's grammar; `undefined` when it has none (tree-sitter ops skip). */
  readonly parse: SyncParse | undefined
}

export type Op = (input: OpInput) => string
