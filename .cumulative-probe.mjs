import { readFile } from "node:fs/promises"
import { createRequire } from "node:module"
const require = createRequire(import.meta.url)
const mb = (n) => (n / 1048576).toFixed(1)
const settle = async () => { for (let i = 0; i < 3; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 50)) } }
let last = process.memoryUsage()
const step = async (name, fn) => {
  await fn(); await settle()
  const now = process.memoryUsage()
  console.log(`${name.padEnd(44)} rss +${mb(now.rss - last.rss).padStart(5)}  heapUsed +${mb(now.heapUsed - last.heapUsed).padStart(5)}  external +${mb(now.external - last.external).padStart(5)}   (rss ${mb(now.rss)})`)
  last = now
}
await settle(); last = process.memoryUsage(); console.log("bare node rss", mb(last.rss))
const order = (process.env.ORDER ?? "effect,effect/http,platform-node,prom-client,jose,yaml,ioredis,@snowplow/tracker-core,@anthropic-ai/sdk,tokenizer,tokenizer-first-encode,@google/genai,google-auth-library,tree-sitter-runtime,tree-sitter-grammars").split(",")
for (const name of order) {
  await step(name, async () => {
    switch (name) {
      case "effect/http": await import("effect/http"); await import("effect/unstable/http").catch(() => {}); break
      case "platform-node": for (const m of ["NodeFileSystem", "NodeHttpServer", "NodeRuntime"]) await import(`@effect/platform-node/${m}`); break
      case "platform-node-index": await import("@effect/platform-node"); break
      case "tokenizer": globalThis.tok = await import("gpt-tokenizer/encoding/cl100k_base"); break
      case "tokenizer-first-encode": globalThis.tok.encode("hello world, const x = 1"); break
      case "tree-sitter-runtime": {
        const { Parser } = await import("web-tree-sitter")
        await Parser.init({ wasmBinary: await readFile(require.resolve("web-tree-sitter/web-tree-sitter.wasm")) })
        break
      }
      case "tree-sitter-grammars": {
        const { Language, Parser } = await import("web-tree-sitter")
        globalThis.parsers = []
        for (const g of ["bash","c-sharp","cpp","css","go","java","javascript","php","powershell","python","ruby","rust","tsx","typescript"]) {
          const lang = await Language.load(new Uint8Array(await readFile(require.resolve(`@vscode/tree-sitter-wasm/wasm/tree-sitter-${g}.wasm`))))
          globalThis.parsers.push(new Parser().setLanguage(lang))
        }
        break
      }
      default: globalThis[name] = await import(name)
    }
  })
}
