/**
 * `npm run bench` (SPEC §9): aigw in production mode with auth on, against a fake upstream that
 * answers at once, driven on loopback; prints one table of every scenario at 1 and 50
 * connections, then the SPEC's ratio targets computed from this run.
 *
 * Options: --duration <s> per measurement (default 3), --warmup <s> per scenario (default 1),
 * --connections 1,50, --only a,b,c,d2,d20,d100,e0,e,hostile (scenario ids; hostile: one
 * request at a time of each hostile 100,000-character input, see hostile.ts), --pin (taskset: aigw and
 * the bare proxy on core 0, the fake upstream and this load generator on core 1),
 * --json <file> (the rows as JSON too), --node-args "<flags>" for aigw's Node (e.g.
 * "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile a scenario).
 */
import { execFileSync } from "node:child_process"
import { writeFileSync } from "node:fs"
import { cpus, totalmem } from "node:os"
import { parseArgs } from "node:util"
import { hostileTable, runHostile } from "./hostile.ts"
import { type LoadResult, type LoadTarget, runAutocannon, runStreams } from "./load.ts"
import { type Child, cpuMs, rssSampler } from "./processes.ts"
import { startWorld, type World } from "./setup.ts"

const { values: options } = parseArgs({
  options: {
    duration: { type: "string", default: "3" },
    warmup: { type: "string", default: "1" },
    connections: { type: "string", default: "1,50" },
    only: { type: "string" },
    pin: { type: "boolean", default: false },
    json: { type: "string" },
    "node-args": { type: "string" },
  },
})
const duration = Number(options.duration)
const warmup = Number(options.warmup)
const connectionCounts = options.connections.split(",").map(Number)

interface Scenario {
  readonly id: string
  readonly label: string
  /** The process whose CPU and memory the row reports. */
  readonly process: (world: World) => Child
  readonly target: (world: World) => LoadTarget
  readonly stream?: (body: string) => boolean
}

const scenarios: ReadonlyArray<Scenario> = [
  {
    id: "a",
    label: "(a) direct to fake upstream",
    process: (w) => w.upstream,
    target: (w) => w.targets.direct,
  },
  { id: "b", label: "(b) bare node:http proxy", process: (w) => w.proxy, target: (w) => w.targets.proxy },
  { id: "c", label: "(c) aigw /v1/chat/agent", process: (w) => w.aigw, target: (w) => w.targets.chat },
  ...[2, 20, 100].map((kb): Scenario => ({
    id: `d${kb}`,
    label: `(d) aigw completions ${kb} KB`,
    process: (w) => w.aigw,
    target: (w) => w.targets.completions(kb),
  })),
  {
    id: "e0",
    label: "(e) stream via bare proxy",
    process: (w) => w.proxy,
    target: (w) => w.targets.proxyStream,
    stream: (body) => body.includes("stop_sequence"),
  },
  {
    id: "e",
    label: "(e) aigw generation stream",
    process: (w) => w.aigw,
    target: (w) => w.targets.generationStream,
    stream: (body) => body.includes("return s[::-1]"),
  },
]

interface Row extends LoadResult {
  readonly id: string
  readonly label: string
  readonly connections: number
  readonly cpuMsPerRequest: number
  readonly peakRssMb: number
}

const load = (scenario: Scenario, target: LoadTarget, connections: number, seconds: number) =>
  scenario.stream === undefined
    ? runAutocannon(target, connections, seconds)
    : runStreams(target, connections, seconds, scenario.stream)

/** One request first, so a broken scenario fails loudly instead of measuring errors. */
const check = async (scenario: Scenario, target: LoadTarget) => {
  const response = await fetch(target.url, { method: "POST", headers: target.headers, body: target.body })
  const text = await response.text()
  const ok = response.status === 200 && (scenario.stream?.(text) ?? true) &&
    response.headers.get("x-aigw-model-error") === null && !text.includes('"choices":[]')
  if (!ok) throw new Error(`${scenario.label}: ${response.status} ${text.slice(0, 300)}`)
}

const measure = async (world: World, scenario: Scenario, connections: number): Promise<Row> => {
  const child = scenario.process(world)
  const target = scenario.target(world)
  const sampler = rssSampler(child.pid)
  const cpuBefore = cpuMs(child.pid)
  const result = await load(scenario, target, connections, duration)
  const cpu = cpuMs(child.pid) - cpuBefore
  const peak = sampler.stop()
  return {
    ...result,
    id: scenario.id,
    label: scenario.label,
    connections,
    cpuMsPerRequest: result.requests === 0 ? 0 : cpu / result.requests,
    peakRssMb: peak / 2 ** 20,
  }
}

const fixed = (value: number, digits: number) => Number.isFinite(value) ? value.toFixed(digits) : "-"

const table = (rows: ReadonlyArray<Row>) => {
  const header = [
    "scenario",
    "conns",
    "req/s",
    "mean ms",
    "p50 ms",
    "p99 ms",
    "CPU ms/req",
    "peak RSS MB",
    "failed",
  ]
  const lines = rows.map((row) => [
    row.label,
    String(row.connections),
    fixed(row.rps, 0),
    fixed(row.meanMs, 3),
    fixed(row.p50Ms, row.ttfbMeanMs === undefined ? 0 : 3),
    fixed(row.p99Ms, row.ttfbMeanMs === undefined ? 0 : 3),
    fixed(row.cpuMsPerRequest, 3),
    fixed(row.peakRssMb, 1),
    String(row.failures),
  ])
  const widths = header.map((title, i) => Math.max(title.length, ...lines.map((line) => line[i]!.length)))
  const format = (cells: ReadonlyArray<string>) =>
    `| ${
      cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(" | ")
    } |`
  return [
    format(header),
    `|${widths.map((w, i) => (i === 0 ? ":" : "") + "-".repeat(w + 1) + (i === 0 ? "" : ":")).join("|")}|`,
    ...lines.map(format),
  ]
    .join("\n")
}

const targetsReport = (rows: ReadonlyArray<Row>) => {
  const find = (id: string, connections: number) =>
    rows.find((row) => row.id === id && row.connections === connections)
  const lines: Array<string> = []
  const verdict = (ok: boolean) => (ok ? "met" : "MISSED")
  const b50 = find("b", 50), c50 = find("c", 50), b1 = find("b", 1), c1 = find("c", 1)
  if (b50 !== undefined && c50 !== undefined) {
    const ratio = c50.rps / b50.rps
    lines.push(
      `- (c) req/s at 50 connections = ${fixed(ratio * 100, 0)} % of (b) (target >= 50 %): ${
        verdict(ratio >= 0.5)
      }`,
    )
  }
  if (b1 !== undefined && c1 !== undefined) {
    const added = c1.meanMs - b1.meanMs
    lines.push(
      `- (c) adds ${fixed(added, 3)} ms over (b) at 1 connection (target <= 0.3 ms): ${
        verdict(added <= 0.3)
      }`,
    )
  }
  for (const [kb, limit] of [[20, 3], [100, 15]] as const) {
    const ds = rows.filter((row) => row.id === `d${kb}`)
    if (ds.length > 0) {
      const worst = Math.max(...ds.map((row) => row.cpuMsPerRequest))
      lines.push(
        `- (d) ${kb} KB: aigw CPU ${
          fixed(worst, 2)
        } ms per request (worst of ${ds.length}; target <= ${limit} ms): ${verdict(worst <= limit)}`,
      )
    }
  }
  const e01 = find("e0", 1), e1 = find("e", 1)
  if (e01 !== undefined && e1 !== undefined) {
    const added = (e1.ttfbMeanMs ?? 0) - (e01.ttfbMeanMs ?? 0)
    lines.push(
      `- (e) adds ${
        fixed(added, 3)
      } ms to the first byte over direct streaming at 1 connection (mean; target <= 1 ms): ${
        verdict(added <= 1)
      }`,
    )
  }
  return lines.join("\n")
}

const describeMachine = () => {
  const model = cpus()[0]?.model ?? "unknown CPU"
  return `${cpus().length} vCPU (${model}), ${
    fixed(totalmem() / 2 ** 30, 1)
  } GiB RAM, Node ${process.version}`
}

const main = async () => {
  const pin = options.pin
  if (pin) execFileSync("taskset", ["-pc", "1", String(process.pid)], { stdio: "ignore" })
  const nodeArgs = options["node-args"]?.split(" ").filter((arg) => arg !== "") ?? []
  const world = await startWorld({ ...(pin ? { server: "0", upstream: "1" } : {}), nodeArgs })
  const rows: Array<Row> = []
  const only = options.only?.split(",")
  let hostile = ""
  const chosen = options.only === undefined
    ? scenarios
    : scenarios.filter((scenario) => options.only!.split(",").includes(scenario.id))
  try {
    process.stderr.write(
      `${describeMachine()}; ${duration} s per measurement, ${warmup} s warm-up${pin ? ", pinned" : ""}\n`,
    )
    for (const scenario of chosen) {
      const target = scenario.target(world)
      await check(scenario, target)
      if (warmup > 0) await load(scenario, target, Math.max(...connectionCounts), warmup)
      for (const connections of connectionCounts) {
        const row = await measure(world, scenario, connections)
        process.stderr.write(`  ${row.label} @${connections}: ${fixed(row.rps, 0)} req/s\n`)
        rows.push(row)
      }
    }
    if (only === undefined || only.includes("hostile")) hostile = hostileTable(await runHostile(world))
  } finally {
    await world.close()
  }
  if (rows.length > 0) {
    process.stdout.write(`\n${describeMachine()}\n\n${table(rows)}\n\n${targetsReport(rows)}\n`)
  }
  if (hostile !== "") process.stdout.write(`\n${hostile}`)
  process.stdout.write(
    "\nmean ms = connections / req/s (time in flight); p50/p99: autocannon's latency (whole ms) for requests, " +
      "time to first byte for streams (e); CPU and RSS are the process serving the row.\n",
  )
  if (options.json !== undefined) writeFileSync(options.json, JSON.stringify(rows, null, 2))
}

await main()
