/**
 * `trim_by_min_allowed_context`: a completion should finish the syntax block the cursor is in,
 * not go on with new code after it. Parse prefix + completion; from the first non-whitespace
 * point at or after the cursor, take the smallest node of at least two lines that began before
 * that point and contains it; cut the completion where that node ends.
 *
 * So a completion started at the top of a function body runs to the function's end, one started
 * inside an `if` body stops at that body's end, and one that closes the block and starts new code
 * is cut at the block's end.
 */
import type { Op } from "./op.ts"
import { windowStart } from "./window.ts"

export const trimByMinAllowedContext: Op = ({ prefix, completion, parse }) => {
  const offset = completion.search(/\S/)
  if (parse === undefined || offset === -1) return completion
  const start = windowStart(prefix)
  const cursor = prefix.length - start
  const point = cursor + offset
  const end = parse(prefix.slice(start) + completion, (tree) => {
    let node = tree.rootNode.descendantForIndex(point, point)
    // The root is the whole file: it never bounds a completion.
    while (node !== null && node.parent !== null) {
      const spansLines = node.endPosition.row > node.startPosition.row
      if (spansLines && node.type !== "ERROR" && node.startIndex < point && node.endIndex > point) {
        return node.endIndex - cursor
      }
      node = node.parent
    }
    return undefined
  })
  return end === undefined || end >= completion.length ? completion : completion.slice(0, end)
}
