/**
 * `clean_model_reflection`: models echo lines of the context after the cursor's line. Split
 * prefix + completion at the first newline at or after the cursor; look for runs of consecutive
 * lines after it that also occur (compared trimmed) as runs before it. Drop a run when it is a
 * single comment line, or when it is large and looks like prose or data rather than code
 * (≥ 5 lines, < 25 % of its characters in `()[];.,$%&^*@#!{}/`, < 35 % distinct characters).
 * Keep every other repeated run: short repeats such as closing braces are legitimate code.
 */
import type { Language } from "../language.ts"
import type { Op } from "./op.ts"

const codeCharacters = new Set("()[];.,$%&^*@#!{}/")
const largeRunLines = 5
const maxCodeCharacterShare = 0.25
const maxDistinctCharacterShare = 0.35

const isCommentLine = (line: string, language: Language | undefined) => {
  const trimmed = line.trim()
  const { line: lineComment, block } = language?.comments ?? {}
  return (lineComment !== undefined && trimmed.startsWith(lineComment)) ||
    (block !== undefined && trimmed.startsWith(block[0]))
}

const looksLikeEcho = (run: ReadonlyArray<string>) => {
  const characters = run.map((line) => line.trim()).join("")
  if (characters.length === 0) return false
  let code = 0
  for (const character of characters) if (codeCharacters.has(character)) code++
  return code / characters.length < maxCodeCharacterShare &&
    new Set(characters).size / characters.length < maxDistinctCharacterShare
}

export const cleanModelReflection: Op = ({ prefix, completion, language }) => {
  const text = prefix + completion
  const split = text.indexOf("\n", prefix.length)
  if (split === -1) return completion
  const before = text.slice(0, split).split("\n").map((line) => line.trim())
  // Lines with their terminators, so a kept line keeps the newline it had.
  const after = text.slice(split + 1).match(/[^\n]*\n|[^\n]+$/g) ?? []
  const positions = new Map<string, Array<number>>()
  before.forEach((line, index) => {
    const list = positions.get(line)
    if (list === undefined) positions.set(line, [index])
    else list.push(index)
  })
  const longestRunAt = (start: number) => {
    let longest = 0
    for (const position of positions.get(after[start]!.trim()) ?? []) {
      let length = 0
      while (
        start + length < after.length && position + length < before.length &&
        before[position + length] === after[start + length]!.trim()
      ) length++
      longest = Math.max(longest, length)
    }
    return longest
  }
  const kept: Array<string> = []
  let index = 0
  while (index < after.length) {
    const length = longestRunAt(index)
    if (length === 0) {
      kept.push(after[index]!)
      index++
      continue
    }
    const run = after.slice(index, index + length)
    const drop = (length === 1 && isCommentLine(run[0]!, language)) ||
      (length >= largeRunLines && looksLikeEcho(run))
    if (!drop) kept.push(...run)
    index += length
  }
  if (kept.length === after.length) return completion
  return text.slice(prefix.length, split + 1) + kept.join("")
}
