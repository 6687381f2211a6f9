// Fills Node's compile cache (docs/decisions.md, "Compile cache") with every module under src/ that
// Node runs, so that a later start under the same Node flags, user and sources loads no TypeScript
// stripper. The image build runs it, with the flags of its CMD; `npm start` fills the same cache as it
// goes. Importing a module only defines it: nothing starts. Exits 1 when the cache cannot be enabled.
import { globSync } from "node:fs"
import { constants, enableCompileCache, flushCompileCache } from "node:module"

const enabled = enableCompileCache()
if (enabled.status === constants.compileCacheStatus.FAILED) {
  process.stderr.write(`the compile cache cannot be enabled: ${enabled.message}\n`)
  process.exit(1)
}
const sources = globSync("**/*.ts", { cwd: import.meta.dirname }).filter((file) => !file.endsWith(".deno.ts"))
for (const file of sources.sort()) await import(`./${file}`)
flushCompileCache()
process.stdout.write(`compile cache: ${sources.length} modules in ${enabled.directory}\n`)
