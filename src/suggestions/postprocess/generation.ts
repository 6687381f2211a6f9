/**
 * The steps generations go through (SPEC §3.2, §3.6): the answer is the new code only — without
 * a surrounding markdown fence, the `<new_code>` tags the prompt asked for, or anything after
 * `</new_code>`; for Vertex a newline is put first when neither the code before the cursor ends
 * with one nor the answer starts with one.
 */
import { newCodeClose, newCodeOpen } from "../prompts/generation.ts"

/** Drops a leading ```` ```lang ```` line and trailing backticks. */
export const stripCodeFence = (text: string): string => {
  const start = text.trimStart()
  if (!start.startsWith("```")) return text
  const firstLineEnd = start.indexOf("\n")
  const body = firstLineEnd === -1 ? "" : start.slice(firstLineEnd + 1)
  const end = body.trimEnd()
  return end.endsWith("```") ? end.slice(0, end.length - 3) : body
}

/** Keeps what is inside `<new_code>…</new_code>`, or before `</new_code>` when the tag was prefilled. */
export const stripNewCodeTags = (text: string): string => {
  const close = text.indexOf(newCodeClose)
  const inside = close === -1 ? text : text.slice(0, close)
  const open = inside.indexOf(newCodeOpen)
  return open === -1 ? inside : inside.slice(open + newCodeOpen.length)
}

export const prependNewline = (prefix: string, text: string): string =>
  prefix.endsWith("\n") || text.startsWith("\n") ? text : `\n${text}`
