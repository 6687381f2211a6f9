/**
 * The processes a benchmark runs: the fake upstream, the bare proxy and aigw itself, each a child
 * of the project's Node 24 on 127.0.0.1, optionally pinned to a core with `taskset`; and their
 * CPU time and memory read from /proc.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { readdirSync, readFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"

export const root = join(import.meta.dirname, "..")

export interface Child {
  readonly name: string
  readonly process: ChildProcess
  readonly pid: number
  readonly url: string
  /** aigw's metrics listener. */
  readonly metricsUrl?: string
  /** The last lines the process wrote to stderr, for a failure message. */
  readonly stderr: () => string
  readonly stop: () => Promise<number | null>
}

export const freePort = async (): Promise<number> => {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const address = server.address()
  await new Promise((resolve) => server.close(resolve))
  if (address === null || typeof address === "string") throw new Error("no port")
  return address.port
}

/** `taskset -c <cpus>` in front of a command when `cpus` is set. */
const pinned = (
  cpus: string | undefined,
  command: string,
  args: ReadonlyArray<string>,
): [string, Array<string>] =>
  cpus === undefined ? [command, [...args]] : ["taskset", ["-c", cpus, command, ...args]]

const keepTail = (text: string) => text.length > 20_000 ? text.slice(-20_000) : text

const spawnChild = (
  name: string,
  args: ReadonlyArray<string>,
  env: Record<string, string>,
  cpus: string | undefined,
  stdout: "pipe" | "ignore",
): { child: ChildProcess; stderr: () => string; exited: Promise<number | null> } => {
  const [command, argv] = pinned(cpus, process.execPath, args)
  const child = spawn(command, argv, {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
    stdio: ["ignore", stdout, "pipe"],
  })
  let stderr = ""
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr = keepTail(stderr + chunk)))
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
  child.on("error", (error) => (stderr += `\n${name}: ${error.message}`))
  return { child, stderr: () => stderr, exited }
}

const stopper = (child: ChildProcess, exited: Promise<number | null>) => async () => {
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM")
  const timer = setTimeout(() => child.kill("SIGKILL"), 35_000)
  const code = await exited
  clearTimeout(timer)
  return code
}

/**
 * Starts a bench script (upstream.ts, proxy.ts) and waits for its `listening <port>` line; with
 * `asProduction`, under `npm start`'s Node flags and environment as aigw runs (the hello-world
 * servers, so the framework's figures compare with aigw's).
 */
export const startScript = async (
  name: string,
  script: string,
  env: Record<string, string>,
  cpus?: string,
  asProduction = false,
): Promise<Child> => {
  const production = asProduction ? productionSettings() : { flags: [], env: {} }
  const { child, stderr, exited } = spawnChild(
    name,
    [...production.flags, join(root, "bench", script)],
    { ...production.env, ...env },
    cpus,
    "pipe",
  )
  const port = await new Promise<number>((resolve, reject) => {
    let out = ""
    const timer = setTimeout(() => reject(new Error(`${name} did not start:\n${stderr()}`)), 15_000)
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk
      const match = /listening (\d+)/.exec(out)
      if (match !== null) {
        clearTimeout(timer)
        resolve(Number(match[1]))
      }
    })
    void exited.then((code) => reject(new Error(`${name} exited (${code}):\n${stderr()}`)))
  })
  return {
    name,
    process: child,
    pid: child.pid!,
    url: `http://127.0.0.1:${port}`,
    stderr,
    stop: stopper(child, exited),
  }
}

/**
 * The Node flags, environment and entry production runs with, read from `npm start` (package.json):
 * its leading `NAME=value` words, its `--` flags and its script, so the bench measures the heap and
 * malloc settings that production uses (docs/decisions.md, "Heap sizing and malloc"). Node's compile
 * cache is the bench's own directory, filled by `warmCompileCache` before anything is measured, as an
 * image's is at build and a host's after its first start (docs/decisions.md, "Compile cache").
 */
const productionSettings = (): {
  readonly flags: ReadonlyArray<string>
  readonly env: Record<string, string>
  readonly entry: string
} => {
  const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    scripts: Record<string, string>
  }
  const words = manifest.scripts.start!.split(/\s+/)
  const assignments = words.slice(0, words.findIndex((word) => !/^[A-Z_]+=/.test(word)))
  return {
    flags: words.filter((word) => word.startsWith("--")),
    env: {
      ...Object.fromEntries(
        assignments.map((word) => [word.slice(0, word.indexOf("=")), word.slice(word.indexOf("=") + 1)]),
      ),
      NODE_COMPILE_CACHE: compileCacheDirectory,
    },
    entry: join(root, words.at(-1)!),
  }
}

const compileCacheDirectory = join(tmpdir(), "aigw-bench-compile-cache")

/**
 * Fills the bench's compile cache for every production-mode process it starts: aigw's modules
 * (`src/warmCompileCache.mjs`, as the image build runs it) and the hello-world servers (started once
 * and stopped), so that no measured process loads the TypeScript stripper.
 */
export const warmCompileCache = async (helloServers: ReadonlyArray<string>): Promise<void> => {
  const production = productionSettings()
  const { exited, stderr } = spawnChild(
    "warmCompileCache",
    [...production.flags, join(root, "src", "warmCompileCache.mjs")],
    production.env,
    undefined,
    "ignore",
  )
  const code = await exited
  if (code !== 0) throw new Error(`src/warmCompileCache.mjs exited ${code}:\n${stderr()}`)
  for (const file of helloServers) await (await startScript(file, file, {}, undefined, true)).stop()
}

/**
 * Starts aigw in production mode (`npm start`'s entry, Node flags and environment,
 * configured by `env` only) and waits for its liveness probe; `nodeArgs` go to Node too (e.g.
 * `--cpu-prof`). Its log lines go to /dev/null: written, as in production, not kept.
 */
export const startAigw = async (
  env: Record<string, string>,
  cpus?: string,
  nodeArgs: ReadonlyArray<string> = [],
): Promise<Child> => {
  const port = await freePort()
  const metricsPort = await freePort()
  const production = productionSettings()
  const { child, stderr, exited } = spawnChild(
    "aigw",
    [...production.flags, ...nodeArgs, production.entry],
    {
      ...production.env,
      METADATA_SERVER_DETECTION: "none",
      AIGW_FASTAPI__API_HOST: "127.0.0.1",
      AIGW_FASTAPI__API_PORT: String(port),
      // Its own metrics port, so a gateway already running here does not stop the bench.
      AIGW_FASTAPI__METRICS_HOST: "127.0.0.1",
      AIGW_FASTAPI__METRICS_PORT: String(metricsPort),
      ...env,
    },
    cpus,
    "ignore",
  )
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`aigw exited early (${child.exitCode}):\n${stderr()}`)
    const ready = await fetch(`${url}/monitoring/healthz`).then((r) => r.ok, () => false)
    if (ready) {
      return {
        name: "aigw",
        process: child,
        pid: child.pid!,
        url,
        metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
        stderr,
        stop: stopper(child, exited),
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  child.kill("SIGKILL")
  throw new Error(`aigw did not start within 30 s:\n${stderr()}`)
}

const ticksPerSecond = 100 // USER_HZ on Linux

/**
 * User + system CPU time of a process in ms, from /proc/<pid>/stat. With `taskset` in front the
 * pid is taskset's, which execs the command, so it is the same process.
 */
export const cpuMs = (pid: number): number => {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
  // Fields after the command name (which may hold spaces) start at state (field 3).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
  const utime = Number(fields[11])
  const stime = Number(fields[12])
  return ((utime + stime) * 1000) / ticksPerSecond
}

/** Resident memory of a process in bytes, from /proc/<pid>/status (VmRSS). */
export const rssBytes = (pid: number): number => {
  const status = readFileSync(`/proc/${pid}/status`, "utf8")
  const match = /VmRSS:\s+(\d+) kB/.exec(status)
  return match === null ? 0 : Number(match[1]) * 1024
}

/**
 * A process and all its descendants (a cluster's primary and its workers), from
 * /proc/<pid>/task/<tid>/children; a process that is gone meanwhile is left out.
 */
export const processTree = (pid: number): ReadonlyArray<number> => {
  const children: Array<number> = []
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const listed = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim()
      if (listed !== "") children.push(...listed.split(" ").map(Number))
    }
  } catch {
    // the process is gone
  }
  return [pid, ...children.flatMap(processTree)]
}

const sumOver = (pids: ReadonlyArray<number>, read: (pid: number) => number) =>
  pids.reduce((sum, pid) => {
    try {
      return sum + read(pid)
    } catch {
      return sum // the process is gone
    }
  }, 0)

/** CPU time of every process in `pids`, summed (ms). */
export const cpuMsOf = (pids: ReadonlyArray<number>): number => sumOver(pids, cpuMs)

/** Resident memory of every process in `pids`, summed (bytes). */
export const rssBytesOf = (pids: ReadonlyArray<number>): number => sumOver(pids, rssBytes)

/**
 * Samples the summed RSS of `pids` (one process, or a cluster's processes) every `everyMs`
 * until stopped; `stop` returns the peak seen.
 */
export const rssSampler = (pids: number | ReadonlyArray<number>, everyMs = 100) => {
  const all = typeof pids === "number" ? [pids] : pids
  let peak = rssBytesOf(all)
  const timer = setInterval(() => (peak = Math.max(peak, rssBytesOf(all))), everyMs)
  return {
    stop: () => {
      clearInterval(timer)
      peak = Math.max(peak, rssBytesOf(all))
      return peak
    },
  }
}
