/**
 * Token counting and token-budget truncation for prompts (SPEC §3.5 budgets), bounded in time by
 * the budget whatever the text (SPEC §13).
 *
 * Tokens are counted with `gpt-tokenizer` (cl100k_base): no provider publishes an offline
 * tokenizer for every model aigw serves, and a BPE count is within a few percent of theirs, which
 * the budgets' headroom absorbs. Special-token markers in the text (`<|endoftext|>`) are ordinary
 * text here: they come from the user's file.
 *
 * Why the text is cut into chunks first: every BPE tokenizer measured (docs/decisions.md,
 * "Tokenizer under hostile input") is slow on one long unbroken run (a line of CJK, emoji, one
 * letter or spaces costs seconds per 100,000 characters), and a text's tokens are the
 * concatenation of the tokens of its pre-tokenizer pieces. So the text is cut where cl100k's
 * pre-tokenizer cuts anyway (before a space that starts a word, after a line break), which keeps
 * the count exact for ordinary code, and an unbroken run is cut every `runChunk` characters,
 * which can only add a few tokens per cut. Chunks are tokenized from the kept end outwards and
 * the walk stops at the budget, so the work is proportional to the budget, not to the text.
 *
 * Past `exactTokensCap` tokens of work in one call, further chunks are counted as their UTF-8
 * size: a byte-level BPE token is at least one byte, so that is an upper bound, and a huge budget
 * (Claude's 100,000 tokens) never means tokenizing 100,000 tokens of hostile text.
 *
 * A lone UTF-16 surrogate is replaced with U+FFFD first (same length, so indices carry over).
 * Cuts fall between tokens, and a cut that would split a character keeps one token less, so a
 * cut never splits a surrogate pair or a multi-byte character.
 *
 * The cl100k table (about 8 MB of heap) is loaded on the first count, not at start
 * (docs/decisions.md, "Memory at idle"); with `require`, since counting is synchronous. Its cache
 * of pieces already merged keeps the `mergeCacheEntries` most recently used: the package's
 * 100,000 hold over 10 MB once varied traffic has filled them, and code repeats far fewer pieces.
 */
import { createRequire } from "node:module"
import type * as Cl100k from "gpt-tokenizer/encoding/cl100k_base"

const mergeCacheEntries = 10_000

let cl100k: typeof Cl100k | undefined
const tokenizer = (): typeof Cl100k => {
  if (cl100k === undefined) {
    cl100k = createRequire(import.meta.url)("gpt-tokenizer/encoding/cl100k_base") as typeof Cl100k
    cl100k.setMergeCacheSize(mergeCacheEntries)
  }
  return cl100k
}

const utf8 = new TextEncoder()

/** UTF-8 size, without allocating for ASCII-only text. */
export const utf8Bytes = (text: string): number => {
  // deno-lint-ignore no-control-regex
  return /^[\x00-\x7f]*$/.test(text) ? text.length : utf8.encode(text).length
}

/** The largest chunk cut at a pre-tokenizer boundary. */
const maxChunk = 256
/** The chunk of an unbroken run (no boundary within `maxChunk`). */
const runChunk = 64
/** Tokens computed exactly in one call; past them, chunks count as their UTF-8 size. */
export const exactTokensCap = 4_096

const noSpecialTokens = { disallowedSpecial: new Set<string>() }
const tokensOf = (text: string): Array<number> => tokenizer().encode(text, noSpecialTokens)

/** Lone surrogates replaced with U+FFFD (same length, so indices carry over). */
export const wellFormed = (text: string): string => text.isWellFormed() ? text : text.toWellFormed()

const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff
const space = 0x20
const lineFeed = 0x0a
/** The ASCII whitespace of cl100k's `\s` that code contains. */
const isSpace = (code: number) => code === space || (code >= 0x09 && code <= 0x0d)

/** Moves a cut index off the middle of a surrogate pair (to the pair's start). */
const alignToCodePoint = (text: string, index: number): number =>
  index > 0 && index < text.length && isLowSurrogate(text.charCodeAt(index)) ? index - 1 : index

/** Whether cl100k's pre-tokenizer always starts a piece at `index`. */
const isPieceStart = (text: string, index: number): boolean => {
  if (index <= 0 || index >= text.length) return true
  const code = text.charCodeAt(index)
  if (code === space) return index + 1 < text.length && !isSpace(text.charCodeAt(index + 1))
  return text.charCodeAt(index - 1) === lineFeed && !isSpace(code)
}

/** The end of the chunk that starts at `start`. */
const chunkEndAfter = (text: string, start: number): number => {
  const limit = Math.min(text.length, start + maxChunk)
  for (let index = limit; index > start; index--) if (isPieceStart(text, index)) return index
  const end = alignToCodePoint(text, start + runChunk)
  return end > start ? end : start + 2
}

/** The start of the chunk that ends at `end`. */
const chunkStartBefore = (text: string, end: number): number => {
  const limit = Math.max(0, end - maxChunk)
  for (let index = limit; index < end; index++) if (isPieceStart(text, index)) return index
  const start = alignToCodePoint(text, end - runChunk)
  return start < end ? start : end - 2
}

/** One tokenized chunk; `tokens` is absent past the exact cap (then `count` is its UTF-8 size). */
interface Chunk {
  readonly text: string
  readonly count: number
  readonly tokens: ReadonlyArray<number> | undefined
}

/** Tokenizes chunks while the exact cap allows, then counts bytes. */
const chunkCounter = () => {
  let exact = 0
  return (text: string): Chunk => {
    if (exact >= exactTokensCap) return { text, count: utf8Bytes(text), tokens: undefined }
    const tokens = tokensOf(text)
    exact += tokens.length
    return { text, count: tokens.length, tokens }
  }
}

/** A token count of `text`; exact up to `exactTokensCap` tokens, an upper bound past them. */
export const countTokens = (text: string): number => {
  if (text === "") return 0
  const source = wellFormed(text)
  const count = chunkCounter()
  let total = 0
  for (let start = 0; start < source.length;) {
    const end = chunkEndAfter(source, start)
    total += count(source.slice(start, end)).count
    start = end
  }
  return total
}

/** A kept part of a text and its token count. */
export interface Kept {
  readonly text: string
  readonly tokens: number
}

const nothing: Kept = { text: "", tokens: 0 }

/** The longest end (`fromEnd`) or start of one chunk within `budget`. */
const partOfChunk = (chunk: Chunk, budget: number, fromEnd: boolean): Kept => {
  if (budget <= 0) return nothing
  const fits = (kept: string) => fromEnd ? chunk.text.endsWith(kept) : chunk.text.startsWith(kept)
  if (chunk.tokens === undefined) {
    // Counted in bytes: the longest part within `budget` bytes, whole code points.
    let length = 0
    let bytes = 0
    const points = [...chunk.text]
    for (let index = 0; index < points.length; index++) {
      const point = points[fromEnd ? points.length - 1 - index : index]!
      const size = utf8Bytes(point)
      if (bytes + size > budget) break
      bytes += size
      length += point.length
    }
    const text = fromEnd ? chunk.text.slice(chunk.text.length - length) : chunk.text.slice(0, length)
    return { text, tokens: bytes }
  }
  const tokens = chunk.tokens
  for (let keep = Math.min(budget, tokens.length); keep > 0; keep--) {
    const kept = tokenizer().decode(fromEnd ? tokens.slice(tokens.length - keep) : tokens.slice(0, keep))
    if (fits(kept)) return { text: kept, tokens: keep }
  }
  return nothing
}

/** Chunks walked from one end of a text until `budget` is used up. */
interface Walk {
  /** The chunks that fit whole, nearest the kept end first. */
  readonly whole: ReadonlyArray<Chunk>
  /** The chunk that did not fit whole, if the text did not end first. */
  readonly crossing: Chunk | undefined
}

const walk = (text: string, budget: number, fromEnd: boolean): Walk => {
  const count = chunkCounter()
  const whole: Array<Chunk> = []
  let used = 0
  let edge = fromEnd ? text.length : 0
  while (fromEnd ? edge > 0 : edge < text.length) {
    const next = fromEnd ? chunkStartBefore(text, edge) : chunkEndAfter(text, edge)
    const chunk = count(fromEnd ? text.slice(next, edge) : text.slice(edge, next))
    if (used + chunk.count > budget) return { whole, crossing: chunk }
    used += chunk.count
    whole.push(chunk)
    edge = next
  }
  return { whole, crossing: undefined }
}

/** The longest kept part within `wanted` tokens, from the chunks of a walk. */
const takeFrom = (path: Walk, wanted: number, fromEnd: boolean): Kept => {
  const parts: Array<string> = []
  let tokens = 0
  for (const chunk of path.whole) {
    if (tokens + chunk.count > wanted) {
      const part = partOfChunk(chunk, wanted - tokens, fromEnd)
      parts.push(part.text)
      return join(parts, tokens + part.tokens, fromEnd)
    }
    tokens += chunk.count
    parts.push(chunk.text)
  }
  if (path.crossing !== undefined) {
    const part = partOfChunk(path.crossing, wanted - tokens, fromEnd)
    parts.push(part.text)
    tokens += part.tokens
  }
  return join(parts, tokens, fromEnd)
}

const join = (parts: Array<string>, tokens: number, fromEnd: boolean): Kept => ({
  text: fromEnd ? parts.reverse().join("") : parts.join(""),
  tokens,
})

/** The longest start of `text` that has at most `budget` tokens. */
export const keepFirstCounted = (text: string, budget: number): Kept => {
  if (budget <= 0) return nothing
  const source = wellFormed(text)
  if (utf8Bytes(source) <= budget) return { text: source, tokens: countTokens(source) }
  return takeFrom(walk(source, budget, false), budget, false)
}

/**
 * The end of `text` tokenized once, up to `budget` tokens, from which ends of any smaller budget
 * are taken without tokenizing again.
 */
export const lastTokensOf = (text: string, budget: number): { readonly take: (tokens: number) => Kept } => {
  if (budget <= 0) return { take: () => nothing }
  const path = walk(wellFormed(text), budget, true)
  return { take: (wanted) => takeFrom(path, Math.min(wanted, budget), true) }
}

/** The longest end of `text` that has at most `budget` tokens. */
export const keepLastCounted = (text: string, budget: number): Kept => {
  if (budget <= 0) return nothing
  const source = wellFormed(text)
  if (utf8Bytes(source) <= budget) return { text: source, tokens: countTokens(source) }
  return lastTokensOf(source, budget).take(budget)
}

/** The longest start of `text` that has at most `budget` tokens. */
export const keepFirstTokens = (text: string, budget: number): string => keepFirstCounted(text, budget).text

/** The longest end of `text` that has at most `budget` tokens. */
export const keepLastTokens = (text: string, budget: number): string => keepLastCounted(text, budget).text
