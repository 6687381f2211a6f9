/**
 * Token counting and token-budget truncation for prompts (SPEC §3.5 budgets).
 *
 * Tokens are counted with `gpt-tokenizer` (cl100k_base): no provider publishes an offline
 * tokenizer for every model aigw serves, and a BPE count is within a few percent of theirs, which
 * the budgets' headroom absorbs. Cuts fall between tokens, and a cut that would split a
 * character keeps one token less, so a cut never splits a UTF-16 surrogate pair or a multi-byte
 * character.
 *
 * Only the part of a text near the cut is tokenized, once: a text whose UTF-8 size fits the
 * budget is counted, not cut (a token is at least one byte), and a long text is tokenized from its
 * kept end outwards in growing windows, so a 100 KB file costs about the budget, not the file.
 */
import { countTokens as countWithTokenizer, decode, encode } from "gpt-tokenizer/encoding/cl100k_base"

const utf8 = new TextEncoder()

/** UTF-8 size, without allocating for ASCII-only text. */
export const utf8Bytes = (text: string): number => {
  // deno-lint-ignore no-control-regex
  return /^[\x00-\x7f]*$/.test(text) ? text.length : utf8.encode(text).length
}

export const countTokens = (text: string): number => text === "" ? 0 : countWithTokenizer(text)

const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff

/** Moves a cut index off the middle of a surrogate pair (to the pair's start). */
const alignToCodePoint = (text: string, index: number): number =>
  index > 0 && index < text.length && isLowSurrogate(text.charCodeAt(index)) ? index - 1 : index

/** A kept part of a text and its token count. */
export interface Kept {
  readonly text: string
  readonly tokens: number
}

const whole = (text: string): Kept => ({ text, tokens: countTokens(text) })

/**
 * The longest start of `text` that has at most `budget` tokens. The window is tokenized once; the
 * first `budget` tokens are decoded back, and when the cut falls inside a character (the decoded
 * text is then not a start of the text) one token less is kept.
 */
export const keepFirstCounted = (text: string, budget: number): Kept => {
  if (budget <= 0) return { text: "", tokens: 0 }
  if (utf8Bytes(text) <= budget) return whole(text)
  let window = Math.min(text.length, Math.ceil(budget * 4.5))
  for (;;) {
    const head = text.slice(0, window)
    const tokens = encode(head)
    if (tokens.length <= budget && window < text.length) {
      window = Math.min(text.length, window * 2)
      continue
    }
    if (tokens.length <= budget) return { text: head, tokens: tokens.length }
    for (let keep = budget; keep > 0; keep--) {
      const kept = decode(tokens.slice(0, keep))
      if (head.startsWith(kept)) return { text: kept, tokens: keep }
    }
    return { text: "", tokens: 0 }
  }
}

/**
 * The end of `text` tokenized once, up to `budget` tokens, from which ends of any smaller budget
 * are decoded without tokenizing again (see `keepFirstCounted` for the cut).
 */
export const lastTokensOf = (text: string, budget: number): { readonly take: (tokens: number) => Kept } => {
  if (budget <= 0) return { take: () => ({ text: "", tokens: 0 }) }
  // Code averages 3–4 characters per token; start with a window that usually suffices.
  let window = Math.min(text.length, Math.ceil(budget * 4.5))
  for (;;) {
    const start = alignToCodePoint(text, text.length - window)
    const tail = text.slice(start)
    const tokens = encode(tail)
    if (tokens.length <= budget && start > 0) {
      window = Math.min(text.length, window * 2)
      continue
    }
    return {
      take: (wanted) => {
        if (tokens.length <= wanted) return { text: tail, tokens: tokens.length }
        for (let keep = wanted; keep > 0; keep--) {
          const kept = decode(tokens.slice(tokens.length - keep))
          if (tail.endsWith(kept)) return { text: kept, tokens: keep }
        }
        return { text: "", tokens: 0 }
      },
    }
  }
}

/** The longest end of `text` that has at most `budget` tokens. */
export const keepLastCounted = (text: string, budget: number): Kept => {
  if (budget <= 0) return { text: "", tokens: 0 }
  if (utf8Bytes(text) <= budget) return whole(text)
  return lastTokensOf(text, budget).take(budget)
}

/** The longest start of `text` that has at most `budget` tokens. */
export const keepFirstTokens = (text: string, budget: number): string => keepFirstCounted(text, budget).text

/** The longest end of `text` that has at most `budget` tokens. */
export const keepLastTokens = (text: string, budget: number): string => keepLastCounted(text, budget).text
