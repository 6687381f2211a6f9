import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
const require = createRequire(import.meta.url)
const ts = require("web-tree-sitter")
let t = performance.now()
await ts.Parser.init({ wasmBinary: readFileSync(require.resolve("web-tree-sitter/web-tree-sitter.wasm")) })
console.log("runtime init ms", (performance.now() - t).toFixed(1))
for (const g of ["python", "cpp", "c-sharp", "typescript"]) {
  t = performance.now()
  const lang = await ts.Language.load(new Uint8Array(readFileSync(require.resolve(`@vscode/tree-sitter-wasm/wasm/tree-sitter-${g}.wasm`))))
  const p = new ts.Parser(); p.setLanguage(lang); p.parse("int main() { return 0; }").delete()
  console.log(g, "load+first parse ms", (performance.now() - t).toFixed(1))
}
