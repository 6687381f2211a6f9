/**
 * The part of the suffix inside the syntax block around the cursor (the `exp_truncate_suffix`
 * experiment's variant 1, SPEC §3.5): code after the block is another context the completion
 * should not see. Without a block (or a grammar) the whole suffix stays.
 */
import type { Node, Tree } from "./treesitter.ts"

/** How much code around the cursor is parsed: enough for the enclosing block, bounded in cost. */
export const blockWindow = 4_000

/**
 * `source` is the end of the prefix followed by the start of the suffix; `cursor` the index
 * between them. Returns the length of the suffix to keep, or `undefined` for all of it.
 */
export const suffixLengthWithinBlock = (tree: Tree, cursor: number): number | undefined => {
  let node: Node | null = tree.rootNode.descendantForIndex(cursor, cursor)
  while (node !== null && node.parent !== null) {
    const spansLines = node.endPosition.row > node.startPosition.row
    if (spansLines && node.startIndex < cursor && node.endIndex > cursor && node.namedChildCount > 0) {
      return node.endIndex - cursor
    }
    node = node.parent
  }
  return undefined
}
