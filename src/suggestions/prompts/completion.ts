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
import type { CodeContext } from "../codeContext.ts"
import type { Language } from "../language.ts"
import { countTokens, keepFirstTokens, keepLastTokens } from "../tokens.ts"
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
   * The file's imports and signatures, asked for only when the prefix does not fit (so the
   * common short file is never parsed). `dropped` is the part of the prefix that was cut.
   */
  readonly codeContext: (dropped: string) => CodeContext | undefined
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
 * The end of `prefix` within `budget` tokens, starting at a line start when the cut falls inside
 * a line: a partial first line reads as broken code to the model.
 */
const keepWholeLines = (prefix: string, budget: number): string => {
  const kept = keepLastTokens(prefix, budget)
  if (kept.length === prefix.length || prefix[prefix.length - kept.length - 1] === "\n") return kept
  const lineEnd = kept.indexOf("\n")
  return lineEnd === -1 ? kept : kept.slice(lineEnd + 1)
}

export const buildCompletionPrompt = (input: CompletionPromptInput): CompletionPrompt => {
  const budget = Math.max(0, input.budgetTokens)
  const suffix = keepFirstTokens(input.suffix, Math.floor(budget * suffixShare))
  const suffixTokens = countTokens(suffix)
  const header = fileHeaderComment(input.fileName, input.language)
  const headerTokens = countTokens(header)
  const prefixBudget = Math.max(0, budget - suffixTokens - headerTokens)
  const kept = keepWholeLines(input.prefix, prefixBudget)
  if (kept.length === input.prefix.length) {
    return {
      prefix: header + kept,
      suffix,
      tokens: { prefix: countTokens(kept), suffix: suffixTokens, imports: 0, function_signatures: 0 },
    }
  }
  const context = input.codeContext(input.prefix.slice(0, input.prefix.length - kept.length))
  const imports = contextBlock(
    context?.imports ?? [],
    kept,
    Math.floor(budget * importsShare),
    (text) => text,
  )
  // Signatures without bodies are not valid code: they go in as comments.
  const signatures = contextBlock(
    context?.functionSignatures ?? [],
    kept,
    Math.floor(budget * signaturesShare),
    (text) => asCommentLines(`Functions defined in this file:\n${text}`, input.language),
  )
  const prefix = imports.tokens + signatures.tokens === 0
    ? kept
    : keepWholeLines(kept, Math.max(0, prefixBudget - imports.tokens - signatures.tokens))
  return {
    prefix: header + imports.text + signatures.text + prefix,
    suffix,
    tokens: {
      prefix: countTokens(prefix),
      suffix: suffixTokens,
      imports: imports.tokens,
      function_signatures: signatures.tokens,
    },
  }
}
