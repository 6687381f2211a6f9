/** `strip_whitespaces`: a completion of only whitespace becomes `""`; otherwise it is unchanged. */
import type { Op } from "./op.ts"

export const stripWhitespaces: Op = ({ completion }) => completion.trim() === "" ? "" : completion
