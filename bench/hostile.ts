/**
 * The hostile scenario of `npm run bench` (`--only hostile`): one authenticated request at a time
 * with a 100,000-character hostile prefix and suffix (CJK, emoji, one letter, spaces, a lone
 * surrogate at either end, mixed scripts, random CJK that defeats the tokenizer's cache) on
 * Vertex and Anthropic completions and on generations. Reports aigw's CPU ms per request for
 * each, while `/monitoring/healthz` is probed every 10 ms; its p99 is over the whole run.
 */
import { cpuMs } from "./processes.ts"
import type { World } from "./setup.ts"

const length = 100_000

const randomCjk = () => {
  let seed = 7
  let text = ""
  while (text.length < length) {
    seed = (seed * 1103515245 + 12345) % 2147483648
    text += String.fromCodePoint(0x4e00 + (seed % 0x5000))
  }
  return text.slice(0, length)
}

export const hostileInputs: ReadonlyArray<readonly [name: string, text: () => string]> = [
  ["CJK", () => "漢字仮名交じり文中文字符测试한국어".repeat(6_000).slice(0, length)],
  ["random CJK", randomCjk],
  ["emoji", () => "🙂😀🎉👍".repeat(12_500)],
  ["one letter", () => "a".repeat(length)],
  ["spaces", () => " ".repeat(length)],
  ["lone surrogate at the end", () => " ㄱ".repeat(49_999) + "x\ud800"],
  ["lone surrogate at the start", () => "\udc00x" + " ㄱ".repeat(49_999)],
  ["mixed scripts", () => "def f(x):  # ünï 注释 🙂 Привет مرحبا".repeat(3_000).slice(0, length)],
]

const routes: ReadonlyArray<readonly [name: string, path: string, extra: Record<string, unknown>]> = [
  ["Vertex completion", "/v2/code/completions", {}],
  ["Anthropic completion", "/v2/code/completions", { model_provider: "anthropic" }],
  ["Anthropic generation", "/v2/code/generations", { model_provider: "anthropic" }],
]

export interface HostileRow {
  readonly input: string
  readonly route: string
  readonly cpuMsPerRequest: number
  readonly maxWallMs: number
}

const percentile = (values: ReadonlyArray<number>, p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN
}

export const runHostile = async (world: World, requestsEach = 10) => {
  const headers = world.targets.completions(2).headers
  const probes: Array<number> = []
  let probing = true
  const probe = (async () => {
    while (probing) {
      const started = performance.now()
      await fetch(`${world.aigw.url}/monitoring/healthz`).then((response) => response.arrayBuffer())
      probes.push(performance.now() - started)
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  })()
  const rows: Array<HostileRow> = []
  let probesSent = 0
  try {
    // Warm-up (JIT, grammars, first model clients), not measured: each route once per input.
    for (const [, make] of hostileInputs) {
      const text = make()
      for (const [, path, extra] of routes) {
        const body = JSON.stringify({
          current_file: {
            file_name: "warm.py",
            content_above_cursor: text.slice(7),
            content_below_cursor: "",
          },
          ...extra,
        })
        await (await fetch(`${world.aigw.url}${path}`, { method: "POST", headers, body })).text()
      }
    }
    probesSent += probes.length
    probes.length = 0
    for (const [input, make] of hostileInputs) {
      const text = make()
      for (const [route, path, extra] of routes) {
        const body = JSON.stringify({
          current_file: { file_name: "app.py", content_above_cursor: text, content_below_cursor: text },
          ...extra,
        })
        let maxWallMs = 0
        const before = cpuMs(world.aigw.pid)
        for (let index = 0; index < requestsEach; index++) {
          const started = performance.now()
          const response = await fetch(`${world.aigw.url}${path}`, { method: "POST", headers, body })
          const answer = await response.text()
          if (response.status !== 200) {
            throw new Error(`hostile ${input} ${route}: ${response.status} ${answer}`)
          }
          maxWallMs = Math.max(maxWallMs, performance.now() - started)
        }
        rows.push({
          input,
          route,
          cpuMsPerRequest: (cpuMs(world.aigw.pid) - before) / requestsEach,
          maxWallMs,
        })
        process.stderr.write(
          `  hostile ${input} / ${route}: ${rows.at(-1)!.cpuMsPerRequest.toFixed(1)} ms CPU\n`,
        )
      }
    }
  } finally {
    probing = false
    await probe
  }
  return {
    rows,
    /** Every request sent to aigw, warm-up and health probes included. */
    requests: hostileInputs.length * routes.length * (1 + requestsEach) + probesSent + probes.length,
    healthzP99Ms: percentile(probes, 99),
    healthzMaxMs: Math.max(...probes),
    probes: probes.length,
  }
}

export const hostileTable = (result: Awaited<ReturnType<typeof runHostile>>) => {
  const lines = [
    "| hostile input (100,000 chars, prefix and suffix) | route | CPU ms/req | max wall ms |",
    "|:--|:--|--:|--:|",
    ...result.rows.map((row) =>
      `| ${row.input} | ${row.route} | ${row.cpuMsPerRequest.toFixed(1)} | ${row.maxWallMs.toFixed(1)} |`
    ),
  ]
  const worst = Math.max(...result.rows.map((row) => row.cpuMsPerRequest))
  const verdict = (ok: boolean) => (ok ? "met" : "MISSED")
  return `${lines.join("\n")}\n\n- hostile: worst ${worst.toFixed(1)} ms CPU per request (target <= 50 ms): ${
    verdict(worst <= 50)
  }\n- /monitoring/healthz during the hostile run: p99 ${result.healthzP99Ms.toFixed(1)} ms, max ${
    result.healthzMaxMs.toFixed(1)
  } ms over ${result.probes} probes (target p99 <= 50 ms): ${verdict(result.healthzP99Ms <= 50)}\n`
}
