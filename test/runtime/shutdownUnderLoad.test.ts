/**
 * Graceful shutdown under load, against the real Node process (SPEC §8): SIGTERM while 100
 * streams are open. Every stream still gets its whole text, new connections are refused, and the
 * process exits 0. The fake Anthropic upstream holds each stream open at a gate after its first
 * chunk and lets them all finish only after the signal.
 */
import { request } from "node:http"
import { afterEach, describe, expect, it } from "vitest"
import { eventually } from "../support/eventually.ts"
import * as anthropic from "../support/fakes/anthropic.ts"
import { type FakeUpstream, gate, sendSse, startFake } from "../support/fakes/server.ts"
import { type RunningGateway, startGateway } from "../support/process.ts"

const streams = 100

const generation = JSON.stringify({
  prompt_version: 2,
  current_file: {
    file_name: "main.py",
    content_above_cursor: "# reverse a string\n",
    content_below_cursor: "",
  },
  model_provider: "anthropic",
  model_name: "claude-2.1",
  prompt: "\n\nHuman: reverse a string\n\nAssistant: <new_code>",
  stream: true,
})

interface OpenStream {
  /** Resolves with the first chunk. */
  readonly first: Promise<string>
  /** Resolves with the whole body once the response ended cleanly; rejects if it was cut. */
  readonly whole: Promise<string>
}

/** A streamed generation on its own connection. */
const openStream = (baseUrl: string): OpenStream => {
  let resolveFirst: (chunk: string) => void = () => {}
  let rejectFirst: (error: unknown) => void = () => {}
  const first = new Promise<string>((resolve, reject) => {
    resolveFirst = resolve
    rejectFirst = reject
  })
  const whole = new Promise<string>((resolve, reject) => {
    const outgoing = request(`${baseUrl}/v2/code/generations`, {
      method: "POST",
      agent: false,
      headers: { "content-type": "application/json" },
    }, (response) => {
      let body = ""
      response.setEncoding("utf8")
      response.on("data", (chunk: string) => {
        if (body === "") resolveFirst(chunk)
        body += chunk
      })
      response.on("end", () => (response.complete ? resolve(body) : reject(new Error(`cut: ${body}`))))
      response.on("aborted", () => reject(new Error(`aborted: ${body}`)))
      response.on("error", reject)
    })
    outgoing.on("error", (error) => {
      rejectFirst(error)
      reject(error)
    })
    outgoing.end(generation)
  })
  whole.catch(() => {})
  return { first, whole }
}

/** Whether a new TCP connection and request to the gateway get through. */
const connects = (baseUrl: string) =>
  new Promise<string>((resolve) => {
    const outgoing = request(`${baseUrl}/monitoring/healthz`, { agent: false }, (response) => {
      response.resume()
      resolve(`answered ${response.statusCode}`)
    })
    outgoing.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message))
    outgoing.end()
  })

let gateway: RunningGateway | undefined
let upstream: FakeUpstream | undefined
afterEach(async () => {
  if (gateway !== undefined && gateway.child.exitCode === null) gateway.child.kill("SIGKILL")
  await upstream?.close()
  gateway = undefined
  upstream = undefined
})

describe("SIGTERM during 100 open streams", () => {
  it("lets every stream finish, refuses new connections and exits 0", async () => {
    const release = gate()
    upstream = await startFake((_, res) =>
      sendSse(res, anthropic.messageStream(["def reverse", release, "(s):\n", "    return s[::-1]\n"]))
    )
    gateway = await startGateway("node", {
      ANTHROPIC_API_KEY: "sk-ant-test",
      AIGW_ANTHROPIC__BASE_URL: upstream.url,
      AIGW_LOGGING__LEVEL: "error",
    })
    const open = Array.from({ length: streams }, () => openStream(gateway!.baseUrl))
    expect(await Promise.all(open.map((stream) => stream.first))).toEqual(
      Array.from({ length: streams }, () => "def reverse"),
    )
    expect(upstream.maxInFlight()).toBe(streams)

    gateway.child.kill("SIGTERM")
    const running = gateway
    await eventually(async () => expect(await connects(running.baseUrl)).toBe("ECONNREFUSED"), {
      intervalMs: 50,
    })
    expect(gateway.child.exitCode).toBeNull()

    release.open()
    const bodies = await Promise.all(open.map((stream) => stream.whole))
    expect(bodies).toEqual(Array.from({ length: streams }, () => "def reverse(s):\n    return s[::-1]\n"))
    expect(await gateway.exited, gateway.output()).toBe(0)
  }, 30_000)
})
