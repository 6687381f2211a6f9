/**
 * A real `redis-server` (Debian's package; `.ci/run` installs it) on a free loopback port, with
 * no persistence, for the shared rate-limit tests. `kill` and `start` again on the same port
 * simulate an outage.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { once } from "node:events"
import { freePort } from "../support/process.ts"

export interface RedisServer {
  readonly url: string
  /** Starts (again) on the same port; resolves once it accepts connections. */
  readonly start: () => Promise<void>
  /** SIGKILL: no goodbye to the clients, as a crash. */
  readonly kill: () => Promise<void>
  /** SIGSTOP / SIGCONT: connected but not answering, as an overloaded server. */
  readonly freeze: () => void
  readonly thaw: () => void
}

export const startRedisServer = async (): Promise<RedisServer> => {
  const port = await freePort()
  let child: ChildProcess | undefined
  const start = async () => {
    const process = spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      { stdio: ["ignore", "pipe", "pipe"] },
    )
    child = process
    let output = ""
    await new Promise<void>((resolve, reject) => {
      process.once("error", reject)
      process.once("exit", (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)))
      process.stdout!.on("data", (chunk: Buffer) => {
        output += chunk.toString()
        if (output.includes("Ready to accept connections")) resolve()
      })
    })
    process.removeAllListeners("exit")
  }
  const kill = async () => {
    if (child === undefined || child.exitCode !== null) return
    const exited = once(child, "exit")
    child.kill("SIGKILL")
    await exited
    child = undefined
  }
  await start()
  return {
    url: `redis://127.0.0.1:${port}`,
    start,
    kill,
    freeze: () => child?.kill("SIGSTOP"),
    thaw: () => child?.kill("SIGCONT"),
  }
}
