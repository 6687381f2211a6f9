/**
 * `fix_end_block_errors`: models often re-emit a closer (`):`, `}`, `end`) that the code after
 * the cursor already has. When the completion ends with the suffix's first non-empty line and the
 * code parses without errors once that tail is dropped, drop it (prefix `def say_hi(s: str`,
 * completion `):`, suffix `):…` → `""`). Otherwise keep the completion.
 *
 * The whole file is parsed, as the original did: an error anywhere (an unbalanced quote on an
 * earlier line) keeps the completion. A window would miss it. The parse only happens when the
 * completion ends with the suffix's first line, which is rare.
 */
import type { Op } from "./op.ts"

const firstNonEmptyLine = (text: string): string | undefined => {
  for (const line of text.split("\n")) {
    const trimmed = line.trim()
    if (trimmed !== "") return trimmed
  }
  return undefined
}

export const fixEndBlockErrors: Op = ({ prefix, suffix, completion, parse }) => {
  if (parse === undefined) return completion
  const closer = firstNonEmptyLine(suffix)
  const trimmed = completion.trimEnd()
  if (closer === undefined || !trimmed.endsWith(closer)) return completion
  const withoutTail = trimmed.slice(0, trimmed.length - closer.length)
  const code = prefix + withoutTail + suffix
  return parse(code, (tree) => !tree.rootNode.hasError) === true ? withoutTail : completion
}
