/**
 * The code around the cursor that syntax-aware ops parse: from the start of the top-level
 * statement that contains the cursor (the last line before it with no indentation) to the end of
 * the next one, each side bounded. Parsing this window instead of the whole file keeps an op's
 * cost to about a millisecond on a 100 KB file, and a window that starts at a top-level line
 * parses the way the whole file does around the cursor.
 */

/** At most this much code before and after the cursor is parsed. */
export const windowLimit = 4_000

const isTopLevelLineStart = (text: string, index: number) => {
  const first = text[index]
  return first !== undefined && first !== " " && first !== "\t" && first !== "\n" && first !== "\r" &&
    first !== "}"
}

/** Where the window starts in `prefix`: a top-level line start, or the bound. */
export const windowStart = (prefix: string): number => {
  const bound = Math.max(0, prefix.length - windowLimit)
  let lineStart = prefix.lastIndexOf("\n", prefix.length - 1)
  while (lineStart >= bound) {
    if (isTopLevelLineStart(prefix, lineStart + 1) && lineStart + 1 < prefix.length) return lineStart + 1
    if (lineStart === 0) break
    lineStart = prefix.lastIndexOf("\n", lineStart - 1)
  }
  return bound === 0 ? 0 : prefix.indexOf("\n", bound) + 1 || bound
}

/**
 * Where the window ends in `suffix`: the end of the first top-level line after some code
 * (that closes the statement around the cursor), or the bound.
 */
export const windowEnd = (suffix: string): number => {
  const bound = Math.min(suffix.length, windowLimit)
  let seenCode = false
  let lineStart = 0
  while (lineStart < bound) {
    const lineEnd = suffix.indexOf("\n", lineStart)
    const end = lineEnd === -1 ? suffix.length : lineEnd + 1
    const line = suffix.slice(lineStart, end)
    if (seenCode && isTopLevelLineStart(suffix, lineStart) && line.trim() !== "") {
      return Math.min(end, bound)
    }
    if (line.trim() !== "") seenCode = true
    lineStart = end
  }
  return bound
}
