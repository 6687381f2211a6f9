import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
const require = createRequire(import.meta.url)
const mb = (n) => (n / 1048576).toFixed(1)
const settle = async () => { for (let i = 0; i < 3; i++) { globalThis.gc?.(); await new Promise((r) => setTimeout(r, 50)) } }
const runtimePath = require.resolve("web-tree-sitter")
const wasm = readFileSync(require.resolve("web-tree-sitter/web-tree-sitter.wasm"))
const fresh = () => { delete require.cache[runtimePath]; const e = require(runtimePath); const m = require.cache[runtimePath]; if (m?.parent) { const i = m.parent.children.indexOf(m); if (i >= 0) m.parent.children.splice(i, 1) }; delete require.cache[runtimePath]; return e }
const load = async (name) => {
  const ts = fresh()
  await ts.Parser.init({ wasmBinary: wasm })
  const lang = await ts.Language.load(new Uint8Array(readFileSync(require.resolve(`@vscode/tree-sitter-wasm/wasm/tree-sitter-${name}.wasm`))))
  const parser = new ts.Parser(); parser.setLanguage(lang)
  return parser
}
await settle(); let last = process.memoryUsage().rss; console.log("start", mb(last))
const live = {}
for (const g of ["python", "javascript", "cpp", "c-sharp", "ruby", "typescript", "go"]) {
  live[g] = await load(g)
  const t = live[g].parse("def f(x):\n  return x\n"); console.log(g, t.rootNode.type, t.rootNode.childCount); t.delete()
  await settle(); const now = process.memoryUsage().rss; console.log(g.padEnd(12), "+", mb(now - last), "rss", mb(now)); last = now
}
for (const g of Object.keys(live)) { live[g].delete(); delete live[g] }
await settle(); await settle(); console.log("after dropping all", mb(process.memoryUsage().rss))
for (let i = 0; i < 20; i++) { const p = await load(i % 2 ? "cpp" : "c-sharp"); p.delete() }
await settle(); await settle(); console.log("after 20 load/drop cycles", mb(process.memoryUsage().rss))
