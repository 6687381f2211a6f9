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
    const server = spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      { stdio: ["ignore", "pipe", "pipe"] },
    )
    child = server
    let output = ""
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject)
      server.once("exit", (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)))
      server.stdout!.on("data", (chunk: Buffer) => {
        output += chunk.toString()
        if (output.includes("Ready to accept connections")) resolve()
      })
    })
    server.removeAllListeners("exit")
  }
  const kill = async () => {
    if (child === undefined || child.exitCode !== null) return
    const exited = once(child, "exit")
    child.kill("SIGKILL")
    await exited
    child = undefined
  }
  const signal = (name: NodeJS.Signals) => {
    if (child?.pid !== undefined) process.kill(child.pid, name)
  }
  await start()
  return {
    url: `redis://127.0.0.1:${port}`,
    start,
    kill,
    // process.kill: Deno's ChildProcess.kill sends no SIGCONT.
    freeze: () => signal("SIGSTOP"),
    thaw: () => signal("SIGCONT"),
  }
}
