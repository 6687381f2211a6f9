/**
 * The one-line comment that opens a completion prompt, in the file's own comment syntax, naming
 * the file and its language (SPEC §3.5), so a fill-in-the-middle model knows what it completes.
 */
import type { Language } from "../language.ts"

export const fileHeaderComment = (fileName: string, language: Language | undefined): string => {
  if (language === undefined) return ""
  const text = `File: ${fileName} (${language.name})`
  const { line, block } = language.comments
  if (line !== undefined) return `${line} ${text}\n`
  if (block !== undefined) return `${block[0]} ${text} ${block[1]}\n`
  return ""
}

/** Lines of code written as comments of the language, for context that must not be executed. */
export const asCommentLines = (text: string, language: Language | undefined): string => {
  const line = language?.comments.line
  if (line === undefined) return text
  return text.split("\n").map((row) => `${line} ${row}`).join("\n")
}
