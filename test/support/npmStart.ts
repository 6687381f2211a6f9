/** The words of `npm start` (package.json): its `NAME=value` environment, Node flags and entry. */
import { readFileSync } from "node:fs"
import { join } from "node:path"

export const npmStartWords = (): ReadonlyArray<string> => {
  const manifest = JSON.parse(
    readFileSync(join(import.meta.dirname, "..", "..", "package.json"), "utf8"),
  ) as {
    scripts: Record<string, string>
  }
  return manifest.scripts.start!.split(/\s+/)
}

/** `npm start`'s Node flags. */
export const npmStartFlags = (): Array<string> => npmStartWords().filter((word) => word.startsWith("--"))
