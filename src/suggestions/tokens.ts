/**
 * Token counting and token-budget truncation for prompts (SPEC §3.5 budgets).
 *
 * Tokens are counted with `gpt-tokenizer` (cl100k_base): no provider publishes an offline
 * tokenizer for every model aigw serves, and a BPE count is within a few percent of theirs, which
 * the budgets' headroom absorbs. Cuts fall only between the tokenizer's pre-tokenization pieces,
 * which are whole code points, so a cut never splits a UTF-16 surrogate pair or a multi-byte
 * character.
 *
 * Only the part of a text near the cut is tokenized: a text whose UTF-8 size fits the budget
 * needs no tokenizing at all (a token is at least one byte), and a long text is tokenized from
 * its kept end outwards in growing windows, so a 100 KB file costs about the budget, not the file.
 */
import {
  countTokens as countWithTokenizer,
  decode,
  encodeGenerator,
} from "gpt-tokenizer/encoding/cl100k_base"

const utf8 = new TextEncoder()

/** UTF-8 size, without allocating for ASCII-only text. */
const utf8Length = (text: string): number => {
  // deno-lint-ignore no-control-regex
  return /^[\x00-\x7f]*$/.test(text) ? text.length : utf8.encode(text).length
}

export const countTokens = (text: string): number => text === "" ? 0 : countWithTokenizer(text)

const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff

/** Moves a cut index off the middle of a surrogate pair (to the pair's start). */
const alignToCodePoint = (text: string, index: number): number =>
  index > 0 && index < text.length && isLowSurrogate(text.charCodeAt(index)) ? index - 1 : index

/** The character length of each pre-tokenization piece of `text`, with its token count. */
function* pieces(text: string): Generator<readonly [characters: number, tokens: number]> {
  for (const tokens of encodeGenerator(text)) {
    yield [decode(tokens).length, tokens.length]
  }
}

/** The longest start of `text` that has at most `budget` tokens. */
export const keepFirstTokens = (text: string, budget: number): string => {
  if (budget <= 0) return ""
  if (utf8Length(text) <= budget) return text
  let characters = 0
  let tokens = 0
  for (const [pieceCharacters, pieceTokens] of pieces(text)) {
    if (tokens + pieceTokens > budget) break
    tokens += pieceTokens
    characters += pieceCharacters
  }
  return text.slice(0, characters)
}

/** The longest end of `text` that has at most `budget` tokens. */
export const keepLastTokens = (text: string, budget: number): string => {
  if (budget <= 0) return ""
  if (utf8Length(text) <= budget) return text
  // Code averages 3–4 characters per token; start with a window that usually suffices.
  let window = Math.min(text.length, budget * 8)
  for (;;) {
    const start = alignToCodePoint(text, text.length - window)
    const tail = text.slice(start)
    const counted = Array.from(pieces(tail))
    let tokens = 0
    let keptCharacters = 0
    let filled = false
    for (let index = counted.length - 1; index >= 0; index--) {
      const [pieceCharacters, pieceTokens] = counted[index]!
      if (tokens + pieceTokens > budget) {
        filled = true
        break
      }
      tokens += pieceTokens
      keptCharacters += pieceCharacters
    }
    if (filled || start === 0) return tail.slice(tail.length - keptCharacters)
    window = Math.min(text.length, window * 2)
  }
}
