/**
 * Starting aigw as a real process (Node or Deno) on a free loopback port, for the runtime
 * smoke tests.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { once } from "node:events"
import { createServer } from "node:net"
import { join } from "node:path"
import { expect } from "vitest"
import { eventually } from "./eventually.ts"

const root = join(import.meta.dirname, "..", "..")

export const freePort = async (): Promise<number> => {
  const server = createServer()
  server.listen(0, "127.0.0.1")
  await once(server, "listening")
  const address = server.address()
  server.close()
  if (address === null || typeof address === "string") throw new Error("no port")
  return address.port
}

export type Runtime = "node" | "deno"

const commandFor = (runtime: Runtime): [string, Array<string>] =>
  runtime === "node"
    ? [process.execPath, ["src/main.node.ts"]]
    : [join(root, "node_modules", ".bin", "deno"), [
      "run",
      "--allow-net",
      "--allow-env",
      "--allow-read",
      "--allow-write",
      "--allow-sys",
      "--unstable-no-legacy-abort",
      "src/main.deno.ts",
    ]]

export interface RunningGateway {
  readonly child: ChildProcess
  readonly baseUrl: string
  /** The metrics listener: `${metricsUrl}/metrics`. */
  readonly metricsUrl: string
  readonly output: () => string
  readonly exited: Promise<number | null>
}

/** Spawns the gateway and waits until it answers its liveness probe. */
export const startGateway = async (
  runtime: Runtime,
  env: Record<string, string> = {},
): Promise<RunningGateway> => {
  const port = await freePort()
  const metricsPort = await freePort()
  const [command, args] = commandFor(runtime)
  const child = spawn(command, args, {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      METADATA_SERVER_DETECTION: "none",
      AIGW_FASTAPI__API_HOST: "127.0.0.1",
      AIGW_FASTAPI__API_PORT: String(port),
      AIGW_FASTAPI__METRICS_HOST: "127.0.0.1",
      AIGW_FASTAPI__METRICS_PORT: String(metricsPort),
      AIGW_AUTH__BYPASS_EXTERNAL: "true",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  })
  let output = ""
  child.stdout!.on("data", (chunk) => (output += chunk))
  child.stderr!.on("data", (chunk) => (output += chunk))
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
  const baseUrl = `http://127.0.0.1:${port}`
  const outcome = await eventually(async () => {
    if (child.exitCode !== null) return "exited" as const
    expect((await fetch(`${baseUrl}/monitoring/healthz`)).ok).toBe(true)
    return "live" as const
  }, { timeoutMs: 30_000, intervalMs: 100 }).catch((error: unknown) => {
    child.kill("SIGKILL")
    throw new Error(`gateway did not start within 30 s (${error}):\n${output}`)
  })
  if (outcome === "exited") throw new Error(`gateway exited early (${child.exitCode}):\n${output}`)
  return { child, baseUrl, metricsUrl: `http://127.0.0.1:${metricsPort}`, output: () => output, exited }
}

/** Runs the gateway to its exit, for configuration errors. */
export const runGatewayToExit = async (runtime: Runtime, env: Record<string, string>) => {
  const [command, args] = commandFor(runtime)
  const child = spawn(command, args, {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      AIGW_FASTAPI__API_PORT: String(await freePort()),
      AIGW_FASTAPI__METRICS_PORT: String(await freePort()),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  })
  let stdout = ""
  let stderr = ""
  child.stdout.on("data", (chunk) => (stdout += chunk))
  child.stderr.on("data", (chunk) => (stderr += chunk))
  const [code] = await once(child, "exit") as [number | null]
  return { code, stdout, stderr }
}
