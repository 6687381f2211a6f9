/**
 * `npm run bench` (SPEC §9): aigw in production mode with auth on, against a fake upstream that
 * answers at once, driven on loopback; prints one table of every scenario at 1 and 50
 * connections, then the SPEC's targets computed from this run: the ratios, aigw's RSS idle and
 * after 100,000 requests, the workers' and the framework's figures.
 *
 * Options: --duration <s> per measurement (default 3), --warmup <s> per scenario (default 1),
 * --connections 1,50, --only a,b,c,d2,d20,d100,e0,e,f0,f,hostile,rss100k,rss-floor (scenario ids; f0/f: a
 * hello-world answer from bare node:http and from Effect's HTTP server; hostile: one request at
 * a time of each hostile 100,000-character input, see hostile.ts; rss100k: drive aigw until it
 * has answered 100,000 requests, then read its RSS; rss-floor: the same two RSS figures of the
 * f0 and f hello-world servers), --no-rss100k (skip those phases of a full
 * run), --workers 1,2 (the aigw worker counts for (c) and (d) 2 KB; each count above 1 starts a
 * cluster with AIGW_WORKERS of its own), --pin (taskset: aigw, its clusters, the bare proxy and
 * the hello servers on core 0, the fake upstream and this load generator on core 1), --json
 * <file> (the rows and the memory figures as JSON too), --node-args=<flags> for the
 * single-process aigw's Node (e.g. "--node-args=--cpu-prof --cpu-prof-dir=/tmp/prof"; the `=`
 * is needed since the value starts with a dash).
 */
import { execFileSync } from "node:child_process"
import { writeFileSync } from "node:fs"
import { cpus, totalmem } from "node:os"
import { parseArgs } from "node:util"
import { hostileTable, runHostile } from "./hostile.ts"
import { type LoadResult, type LoadTarget, runAutocannon, runStreams, sendRequests } from "./load.ts"
import {
  type Child,
  cpuMsOf,
  processTree,
  rssBytesOf,
  rssSampler,
  startScript,
  warmCompileCache,
} from "./processes.ts"
import { type Cluster, startWorld, type Targets, type World } from "./setup.ts"

const { values: options } = parseArgs({
  allowNegative: true,
  options: {
    duration: { type: "string", default: "3" },
    warmup: { type: "string", default: "1" },
    connections: { type: "string", default: "1,50" },
    only: { type: "string" },
    pin: { type: "boolean", default: false },
    json: { type: "string" },
    "node-args": { type: "string" },
    workers: { type: "string", default: "1,2" },
    rss100k: { type: "boolean", default: true },
  },
})
const duration = Number(options.duration)
const warmup = Number(options.warmup)
const connectionCounts = options.connections.split(",").map(Number)
const workerCounts = options.workers.split(",").map(Number)
const only = options.only?.split(",")
const chosen = (id: string) => only === undefined || only.includes(id)

/** The SPEC's memory targets (§9), and the request count of the second. */
const idleRssTargetMb = 100
const loadedRssTargetMb = 150
const loadedRequests = 100_000

/**
 * What the scenarios run against: the world (upstream, bare proxy, aigw) and the processes only
 * some scenarios need (aigw clusters, the hello-world servers), started on first use and stopped
 * by `stopExtras`.
 */
interface Lab {
  readonly world: World
  readonly cluster: (workers: number) => Promise<Cluster>
  readonly script: (name: string, file: string) => Promise<Child>
  readonly stopExtras: () => Promise<void>
}

const makeLab = (world: World, serverCpus: string | undefined): Lab => {
  const clusters = new Map<number, Promise<Cluster>>()
  const scripts = new Map<string, Promise<Child>>()
  return {
    world,
    cluster: (workers) => {
      if (!clusters.has(workers)) clusters.set(workers, world.startCluster(workers))
      return clusters.get(workers)!
    },
    script: (name, file) => {
      if (!scripts.has(file)) scripts.set(file, startScript(name, file, {}, serverCpus, true))
      return scripts.get(file)!
    },
    stopExtras: async () => {
      const extras = [
        ...[...clusters.values()].map((cluster) => cluster.then((started) => started.stop())),
        ...[...scripts.values()].map((script) => script.then((started) => started.stop())),
      ]
      clusters.clear()
      scripts.clear()
      await Promise.allSettled(extras)
    },
  }
}

interface Served {
  /** The process whose CPU and memory the row reports, with its descendants (a cluster's workers). */
  readonly process: Child
  readonly target: LoadTarget
}

interface Scenario {
  readonly id: string
  readonly label: string
  /** aigw's worker processes for this row; 1 for a single process (and for every non-aigw row). */
  readonly workers: number
  readonly serve: (lab: Lab) => Promise<Served>
  /** For the aigw scenarios that also run on a cluster: their target there. */
  readonly onCluster?: (targets: Cluster["targets"]) => LoadTarget
  readonly stream?: (body: string) => boolean
}

const onWorld =
  (process: (w: World) => Child, target: (t: Targets) => LoadTarget) => (lab: Lab): Promise<Served> =>
    Promise.resolve({ process: process(lab.world), target: target(lab.world.targets) })

/** The two hello-world servers of (f): bare `node:http` and Effect's HTTP server. */
const helloServers = [
  { label: "bare node:http", file: "hello.ts" },
  { label: "Effect HttpRouter", file: "effectHello.ts" },
] as const

/** The hello-world servers' one route (bench/hello.ts, bench/effectHello.ts). */
const helloTarget = (server: Child): LoadTarget => ({
  url: `${server.url}/hello`,
  headers: { "content-type": "application/json" },
  body: '{"hello":1}',
})

const hello = (name: string, file: string) => async (lab: Lab): Promise<Served> => {
  const process = await lab.script(name, file)
  return { process, target: helloTarget(process) }
}

const baseScenarios: ReadonlyArray<Scenario> = [
  {
    id: "a",
    label: "(a) direct to fake upstream",
    workers: 1,
    serve: onWorld((w) => w.upstream, (t) => t.direct),
  },
  {
    id: "b",
    label: "(b) bare node:http proxy",
    workers: 1,
    serve: onWorld((w) => w.proxy, (t) => t.proxy),
  },
  {
    id: "c",
    label: "(c) aigw /v1/chat/agent",
    workers: 1,
    serve: onWorld((w) => w.aigw, (t) => t.chat),
    onCluster: (t) => t.chat,
  },
  ...[2, 20, 100].map((kb): Scenario => ({
    id: `d${kb}`,
    label: `(d) aigw completions ${kb} KB`,
    workers: 1,
    serve: onWorld((w) => w.aigw, (t) => t.completions(kb)),
    ...(kb === 2 ? { onCluster: (t: Cluster["targets"]) => t.completions(kb) } : {}),
  })),
  {
    id: "e0",
    label: "(e) stream via bare proxy",
    workers: 1,
    serve: onWorld((w) => w.proxy, (t) => t.proxyStream),
    stream: (body) => body.includes("stop_sequence"),
  },
  {
    id: "e",
    label: "(e) aigw generation stream",
    workers: 1,
    serve: onWorld((w) => w.aigw, (t) => t.generationStream),
    stream: (body) => body.includes("return s[::-1]"),
  },
  { id: "f0", label: "(f) hello world, bare node:http", workers: 1, serve: hello("hello", "hello.ts") },
  {
    id: "f",
    label: "(f) hello world, Effect HttpRouter",
    workers: 1,
    serve: hello("effect hello", "effectHello.ts"),
  },
]

/** Each aigw scenario that runs on clusters, once per worker count asked for (1: the single process). */
const scenarios: ReadonlyArray<Scenario> = baseScenarios.flatMap((scenario) => {
  const { onCluster } = scenario
  if (onCluster === undefined) return [scenario]
  return workerCounts.map((workers): Scenario =>
    workers === 1 ? scenario : {
      ...scenario,
      label: `${scenario.label}, ${workers} workers`,
      workers,
      serve: async (lab) => {
        const cluster = await lab.cluster(workers)
        return { process: cluster.primary, target: onCluster(cluster.targets) }
      },
    }
  )
})

interface Row extends LoadResult {
  readonly id: string
  readonly label: string
  readonly workers: number
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

const measure = async (scenario: Scenario, served: Served, connections: number): Promise<Row> => {
  const pids = processTree(served.process.pid)
  const sampler = rssSampler(pids)
  const cpuBefore = cpuMsOf(pids)
  const result = await load(scenario, served.target, connections, duration)
  const cpu = cpuMsOf(pids) - cpuBefore
  const peak = sampler.stop()
  return {
    ...result,
    id: scenario.id,
    label: scenario.label,
    workers: scenario.workers,
    connections,
    cpuMsPerRequest: result.requests === 0 ? 0 : cpu / result.requests,
    peakRssMb: peak / 2 ** 20,
  }
}

const fixed = (value: number, digits: number) => Number.isFinite(value) ? value.toFixed(digits) : "-"
const mb = (bytes: number) => bytes / 2 ** 20
const verdict = (ok: boolean) => (ok ? "met" : "MISSED")

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
  const find = (id: string, connections: number, workers = 1) =>
    rows.find((row) => row.id === id && row.connections === connections && row.workers === workers)
  const lines: Array<string> = []
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
    const ds = rows.filter((row) => row.id === `d${kb}` && row.workers === 1)
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
  for (const id of ["c", "d2"]) {
    for (const workers of workerCounts.filter((count) => count > 1)) {
      for (const connections of connectionCounts) {
        const one = find(id, connections), many = find(id, connections, workers)
        if (one === undefined || many === undefined) continue
        lines.push(
          `- (${id.slice(0, 1)})${id === "d2" ? " 2 KB" : ""} at ${connections} connection${
            connections === 1 ? "" : "s"
          }: 1 → ${workers} workers ${fixed(one.rps, 0)} → ${fixed(many.rps, 0)} req/s (× ${
            fixed(many.rps / one.rps, 2)
          }), CPU ${fixed(one.cpuMsPerRequest, 3)} → ${
            fixed(many.cpuMsPerRequest, 3)
          } ms per request (no target here; indicative: the load generator shares the cores)`,
        )
      }
    }
  }
  for (const connections of connectionCounts) {
    const bare = find("f0", connections), effect = find("f", connections)
    if (bare === undefined || effect === undefined) continue
    lines.push(
      `- (f) Effect's HTTP server at ${connections} connection${connections === 1 ? "" : "s"}: ${
        fixed(effect.rps, 0)
      } req/s = ${fixed((effect.rps / bare.rps) * 100, 0)} % of bare node:http's ${fixed(bare.rps, 0)}; CPU ${
        fixed(effect.cpuMsPerRequest, 3)
      } vs ${fixed(bare.cpuMsPerRequest, 3)} ms per request (${
        fixed(effect.cpuMsPerRequest - bare.cpuMsPerRequest, 3)
      } ms more: the framework's floor per request)`,
    )
  }
  return lines
}

/** aigw after `requests` answered in all (the scenarios', then a chat + completions mix). */
interface Loaded {
  readonly requests: number
  readonly failures: number
  readonly rssMb: number
  readonly peakRssMb: number
  /** The rate of the mix that completed the count. */
  readonly rps: number
}

interface Memory {
  /** aigw's RSS once its start-up work is done, before any request but its liveness probe (MB). */
  readonly idleRssMb: number
  /** Its RSS when it first answered the liveness probe (MB): start-up work may still be running. */
  readonly firstAnswerRssMb: number
  /** How long after that first answer the RSS settled (s). */
  readonly settledAfterSeconds: number
  readonly loaded?: Loaded
}

/**
 * aigw's RSS once it has settled: no more than 1 MB of change over the last second (sampled
 * every 250 ms), or after 10 s.
 */
const idleRss = async (pid: number) => {
  const pids = processTree(pid)
  const started = performance.now()
  const readings = [rssBytesOf(pids)]
  const settled = () => {
    const last = readings.slice(-5)
    return last.length === 5 && Math.max(...last) - Math.min(...last) <= 2 ** 20
  }
  while (!settled() && performance.now() - started < 10_000) {
    await new Promise((resolve) => setTimeout(resolve, 250))
    readings.push(rssBytesOf(pids))
  }
  return {
    idleRssMb: mb(readings.at(-1)!),
    firstAnswerRssMb: mb(readings[0]!),
    settledAfterSeconds: Math.max(0, (performance.now() - started) / 1000 - 1),
  }
}

const memoryReport = (memory: Memory) => {
  const lines = [
    `- aigw RSS idle after start: ${fixed(memory.idleRssMb, 1)} MB (${
      fixed(memory.firstAnswerRssMb, 1)
    } MB just after its first healthz answer, settled ${
      fixed(memory.settledAfterSeconds, 1)
    } s later, before any other request) (target <= ${idleRssTargetMb} MB): ${
      verdict(memory.idleRssMb <= idleRssTargetMb)
    }`,
  ]
  const { loaded } = memory
  if (loaded !== undefined) {
    lines.push(
      `- aigw RSS after ${loaded.requests.toLocaleString("en")} requests: ${
        fixed(loaded.rssMb, 1)
      } MB (peak ${
        fixed(loaded.peakRssMb, 1)
      } MB; ${loaded.failures} failed; the last ones a mix of chat and ` +
        `completions 2 KB at ${fixed(loaded.rps, 0)} req/s) (target <= ${loadedRssTargetMb} MB): ${
          verdict(loaded.rssMb <= loadedRssTargetMb)
        }`,
    )
  }
  return lines
}

/**
 * Drives aigw until it has been sent `loadedRequests` in all (60 % chat, 40 % completions 2 KB,
 * 25 connections each), then reads its RSS.
 */
const driveToLoaded = async (world: World, sentBefore: number): Promise<Loaded> => {
  const remaining = Math.max(0, loadedRequests - sentBefore)
  const chat = Math.ceil(remaining * 0.6)
  const pids = processTree(world.aigw.pid)
  const sampler = rssSampler(pids)
  const started = performance.now()
  const results = remaining === 0 ? [] : await Promise.all([
    sendRequests(world.targets.chat, 25, chat),
    ...(remaining - chat > 0 ? [sendRequests(world.targets.completions(2), 25, remaining - chat)] : []),
  ])
  const seconds = (performance.now() - started) / 1000
  const answered = results.reduce((sum, result) => sum + result.requests + result.failures, 0)
  const peak = sampler.stop()
  return {
    requests: sentBefore + answered,
    failures: results.reduce((sum, result) => sum + result.failures, 0),
    rssMb: mb(rssBytesOf(pids)),
    peakRssMb: mb(peak),
    rps: seconds === 0 ? 0 : answered / seconds,
  }
}

/** A hello-world server's RSS idle and after `loadedRequests` (MB): the floor under aigw's. */
interface Floor {
  readonly label: string
  readonly idleRssMb: number
  readonly loadedRssMb: number
  readonly failures: number
}

/**
 * The RSS floors of the two memory targets: bare node:http's and Effect's hello world (scenarios
 * f0 and f), each started fresh under `npm start`'s flags, read idle as aigw is, then after
 * `loadedRequests` answers at 25 connections. Whatever aigw holds above Effect's is aigw's own.
 */
const measureFloors = async (serverCpus: string | undefined): Promise<ReadonlyArray<Floor>> => {
  const floors: Array<Floor> = []
  for (const { label, file } of helloServers) {
    const server = await startScript(label, file, {}, serverCpus, true)
    try {
      const idle = await idleRss(server.pid)
      const result = await sendRequests(helloTarget(server), 25, loadedRequests)
      floors.push({
        label,
        idleRssMb: idle.idleRssMb,
        loadedRssMb: mb(rssBytesOf([server.pid])),
        failures: result.failures,
      })
    } finally {
      await server.stop()
    }
  }
  return floors
}

const floorsReport = (floors: ReadonlyArray<Floor>) =>
  floors.map((floor) =>
    `- (f) floor, ${floor.label} hello world (same flags): RSS idle ${fixed(floor.idleRssMb, 1)} MB, after ${
      loadedRequests.toLocaleString("en")
    } requests ${fixed(floor.loadedRssMb, 1)} MB (${floor.failures} failed)`
  )

const describeMachine = () => {
  const model = cpus()[0]?.model ?? "unknown CPU"
  return `${cpus().length} vCPU (${model}), ${
    fixed(totalmem() / 2 ** 30, 1)
  } GiB RAM, Node ${process.version}`
}

const main = async () => {
  const pin = options.pin
  const started = performance.now()
  if (pin) execFileSync("taskset", ["-pc", "1", String(process.pid)], { stdio: "ignore" })
  const nodeArgs = options["node-args"]?.split(" ").filter((arg) => arg !== "") ?? []
  await warmCompileCache(helloServers.map((server) => server.file))
  const world = await startWorld({ ...(pin ? { server: "0", upstream: "1" } : {}), nodeArgs })
  const idle = await idleRss(world.aigw.pid)
  let loaded: Loaded | undefined
  const lab = makeLab(world, pin ? "0" : undefined)
  const rows: Array<Row> = []
  let hostile = ""
  let floors: ReadonlyArray<Floor> = []
  /** Every request sent to the single-process aigw, for the RSS after 100,000. */
  let sentToAigw = 0
  const count = (served: Served, result: LoadResult) => {
    if (served.process === world.aigw) sentToAigw += result.requests + result.failures
  }
  try {
    process.stderr.write(
      `${describeMachine()}; ${duration} s per measurement, ${warmup} s warm-up${pin ? ", pinned" : ""}\n`,
    )
    try {
      for (const scenario of scenarios.filter((scenario) => chosen(scenario.id))) {
        const served = await scenario.serve(lab)
        await check(scenario, served.target)
        if (served.process === world.aigw) sentToAigw++
        if (warmup > 0) {
          count(served, await load(scenario, served.target, Math.max(...connectionCounts), warmup))
        }
        for (const connections of connectionCounts) {
          const row = await measure(scenario, served, connections)
          count(served, row)
          process.stderr.write(`  ${row.label} @${connections}: ${fixed(row.rps, 0)} req/s\n`)
          rows.push(row)
        }
      }
    } finally {
      await lab.stopExtras()
    }
    if (chosen("hostile")) {
      const result = await runHostile(world)
      sentToAigw += result.requests
      hostile = hostileTable(result)
    }
    if (chosen("rss100k") && options.rss100k) {
      process.stderr.write(`  driving aigw to ${loadedRequests} requests (${sentToAigw} so far)\n`)
      loaded = await driveToLoaded(world, sentToAigw)
    }
    if (chosen("rss-floor") && options.rss100k) {
      process.stderr.write(`  the hello-world servers' RSS idle and after ${loadedRequests} requests\n`)
      floors = await measureFloors(pin ? "0" : undefined)
    }
  } finally {
    await world.close()
  }
  const memory: Memory = loaded === undefined ? idle : { ...idle, loaded }
  const targets = [...targetsReport(rows), ...memoryReport(memory), ...floorsReport(floors)].join("\n")
  process.stdout.write(`\n${describeMachine()}\n\n`)
  if (rows.length > 0) process.stdout.write(`${table(rows)}\n\n`)
  process.stdout.write(`${targets}\n`)
  if (hostile !== "") process.stdout.write(`\n${hostile}`)
  process.stdout.write(
    "\nmean ms = connections / req/s (time in flight); p50/p99: autocannon's latency (whole ms) for requests, " +
      "time to first byte for streams (e); CPU and RSS are the processes serving the row (for workers: the " +
      "primary and its workers, summed).\n",
  )
  process.stderr.write(`bench: ${fixed((performance.now() - started) / 1000, 0)} s\n`)
  if (options.json !== undefined) {
    writeFileSync(options.json, JSON.stringify({ machine: describeMachine(), rows, memory, floors }, null, 2))
  }
}

await main()
