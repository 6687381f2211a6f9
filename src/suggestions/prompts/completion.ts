/**
 * The prompt for a prompt_version 1 completion (SPEC §3.5): the code before and after the cursor
 * cut to the model's token budget, keeping the text nearest the cursor, with a header naming the
 * file and language and, when the kept prefix lost them, the file's imports and function
 * signatures.
 *
 * Budget: the suffix first gets its reserved share (7 %) and is cut to it, so the prefix keeps
 * priority and inherits what the suffix does not use; imports may take up to 12 % and function
 * signatures up to 12 %; the rest is the prefix. A context line already inside the kept prefix
 * is not repeated.
 */
import type { CodeContext, CodeContextReader } from "../codeContext.ts"
import type { Language } from "../language.ts"
import {
  countTokens,
  keepFirstCounted,
  keepFirstTokens,
  type Kept,
  lastTokensOf,
  utf8Bytes,
  wellFormed,
} from "../tokens.ts"
import { asCommentLines, fileHeaderComment } from "./header.ts"

export const suffixShare = 0.07
export const importsShare = 0.12
export const signaturesShare = 0.12

export interface CompletionPromptInput {
  readonly fileName: string
  readonly language: Language | undefined
  readonly prefix: string
  readonly suffix: string
  /** Tokens the prompt may use (the model's context size less its answer). */
  readonly budgetTokens: number
  /**
   * The file's imports and signatures, asked for only when the prefix does not fit.
   * `dropped` is the part of the prefix that was cut.
   */
  readonly codeContext: CodeContextReader
}

export interface CompletionPrompt {
  readonly prefix: string
  readonly suffix: string
  /** Token counts per component, for metrics (`code_suggestions_inference_prompt_size_tokens`). */
  readonly tokens: {
    readonly prefix: number
    readonly suffix: number
    readonly imports: number
    readonly function_signatures: number
  }
  /** The context read from the dropped code, when the prefix did not fit (for metrics). */
  readonly context?: CodeContext | undefined
}

/**
 * Entries of context not already present in `kept`, rendered, as many whole lines as fit
 * `budget` tokens.
 */
const contextBlock = (
  entries: ReadonlyArray<string>,
  kept: string,
  budget: number,
  render: (text: string) => string,
) => {
  const missing = entries.filter((entry) => !kept.includes(entry))
  if (missing.length === 0 || budget <= 0) return { text: "", tokens: 0 }
  const text = keepFirstTokens(render(missing.join("\n")) + "\n", budget)
  const cut = text.slice(0, text.lastIndexOf("\n") + 1)
  return { text: cut, tokens: countTokens(cut) }
}

/**
 * Starts a kept end of `source` at a line start when the cut fell inside a line: a partial first
 * line reads as broken code to the model.
 */
const fromLineStart = (source: string, kept: Kept): Kept => {
  if (kept.text.length === source.length || source[source.length - kept.text.length - 1] === "\n") return kept
  const lineEnd = kept.text.indexOf("\n")
  if (lineEnd === -1) return kept
  const partial = kept.text.slice(0, lineEnd + 1)
  return { text: kept.text.slice(lineEnd + 1), tokens: Math.max(0, kept.tokens - countTokens(partial)) }
}

export const buildCompletionPrompt = (request: CompletionPromptInput): CompletionPrompt => {
  // The prompt goes upstream as JSON: a lone surrogate would reach it as an invalid escape.
  const input = { ...request, prefix: wellFormed(request.prefix), suffix: wellFormed(request.suffix) }
  const budget = Math.max(0, input.budgetTokens)
  const suffix = keepFirstCounted(input.suffix, Math.floor(budget * suffixShare))
  const header = fileHeaderComment(input.fileName, input.language)
  const prefixBudget = Math.max(0, budget - suffix.tokens - countTokens(header))
  if (utf8Bytes(input.prefix) <= prefixBudget) {
    return {
      prefix: header + input.prefix,
      suffix: suffix.text,
      tokens: {
        prefix: countTokens(input.prefix),
        suffix: suffix.tokens,
        imports: 0,
        function_signatures: 0,
      },
    }
  }
  // The prefix is tokenized once; the cut for a smaller budget is decoded from the same tokens.
  const ends = lastTokensOf(input.prefix, prefixBudget)
  const kept = fromLineStart(input.prefix, ends.take(prefixBudget))
  if (kept.text.length === input.prefix.length) {
    return {
      prefix: header + kept.text,
      suffix: suffix.text,
      tokens: { prefix: kept.tokens, suffix: suffix.tokens, imports: 0, function_signatures: 0 },
    }
  }
  const context = input.codeContext(input.prefix.slice(0, input.prefix.length - kept.text.length))
  const imports = contextBlock(
    context?.imports ?? [],
    kept.text,
    Math.floor(budget * importsShare),
    (text) => text,
  )
  // Signatures without bodies are not valid code: they go in as comments.
  const signatures = contextBlock(
    context?.functionSignatures ?? [],
    kept.text,
    Math.floor(budget * signaturesShare),
    (text) => asCommentLines(`Functions defined in this file:\n${text}`, input.language),
  )
  const prefix = imports.tokens + signatures.tokens === 0
    ? kept
    : fromLineStart(input.prefix, ends.take(Math.max(0, prefixBudget - imports.tokens - signatures.tokens)))
  return {
    prefix: header + imports.text + signatures.text + prefix.text,
    suffix: suffix.text,
    tokens: {
      prefix: prefix.tokens,
      suffix: suffix.tokens,
      imports: imports.tokens,
      function_signatures: signatures.tokens,
    },
    context,
  }
}
