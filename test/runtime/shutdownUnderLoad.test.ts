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
import { openStream } from "../support/streamClient.ts"

const streams = 100

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
