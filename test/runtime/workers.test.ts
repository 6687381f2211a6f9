/**
 * Workers against the real Node process: with `AIGW_WORKERS=2` the primary runs two worker
 * processes on one port, the metrics listener counts every request once whichever worker served
 * it, a killed worker is replaced (logged and counted), and SIGTERM lets open streams finish in
 * every worker before the primary exits 0.
 */
import { readFileSync } from "node:fs"
import { request } from "node:http"
import { afterEach, describe, expect, it } from "vitest"
import { eventually } from "../support/eventually.ts"
import * as anthropic from "../support/fakes/anthropic.ts"
import { type FakeUpstream, gate, sendSse, startFake } from "../support/fakes/server.ts"
import { type RunningGateway, startGateway } from "../support/process.ts"
import { openStream } from "../support/streamClient.ts"

/** The pids of a process's children (Linux). */
const childPids = (pid: number): Array<number> =>
  readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter((text) => text !== "")
    .map(Number)

/** A GET on a connection of its own, so that the cluster hands each to the next worker. */
const getOnNewConnection = (url: string) =>
  new Promise<number>((resolve, reject) => {
    const outgoing = request(url, { agent: false }, (response) => {
      response.resume()
      response.on("end", () => resolve(response.statusCode ?? 0))
    })
    outgoing.on("error", reject)
    outgoing.end()
  })

/** How a new connection fares: answered, refused, or given up on (a probe must not hang). */
const connects = (url: string) =>
  new Promise<string>((resolve) => {
    const outgoing = request(url, { agent: false, timeout: 2_000 }, (response) => {
      response.resume()
      resolve(`answered ${response.statusCode}`)
    })
    outgoing.on("timeout", () => outgoing.destroy(new Error("no answer")))
    outgoing.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message))
    outgoing.end()
  })

const scrape = async (gateway: RunningGateway) => {
  const response = await fetch(`${gateway.metricsUrl}/metrics`)
  expect(response.status).toBe(200)
  return response.text()
}

/** The value of one series without labels, or with exactly the labels given. */
const seriesValue = (text: string, series: string): number | undefined => {
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

let gateway: RunningGateway | undefined
let upstream: FakeUpstream | undefined
afterEach(async () => {
  if (gateway !== undefined && gateway.child.exitCode === null) {
    for (const pid of childPids(gateway.child.pid!)) process.kill(pid, "SIGKILL")
    gateway.child.kill("SIGKILL")
  }
  await upstream?.close()
  gateway = undefined
  upstream = undefined
})

/** Until both workers listen (the gateway answers as soon as the first one does). */
const bothServing = (running: RunningGateway) =>
  eventually(async () => expect(seriesValue(await scrape(running), "aigw_workers")).toBe(2), {
    timeoutMs: 30_000,
    intervalMs: 100,
  })

const startTwoWorkers = (env: Record<string, string> = {}) =>
  startGateway("node", { AIGW_WORKERS: "2", AIGW_LOGGING__LEVEL: "warning", ...env })

describe("AIGW_WORKERS=2 on Node", () => {
  it("runs two worker processes and counts 200 requests on new connections once each", async () => {
    gateway = await startTwoWorkers()
    const running = gateway
    expect(childPids(gateway.child.pid!)).toHaveLength(2)
    await bothServing(running)

    const statuses = []
    for (let index = 0; index < 200; index++) {
      statuses.push(await getOnNewConnection(`${gateway.baseUrl}/nothing-here`))
    }
    expect(new Set(statuses)).toEqual(new Set([404]))

    const text = await scrape(gateway)
    expect(seriesValue(text, 'http_requests_total{handler="none",method="GET",status="4xx"}')).toBe(200)
    expect(seriesValue(text, "aigw_workers")).toBe(2)
    // Summed over both workers: each holds its own modules in memory.
    expect(seriesValue(text, "process_resident_memory_bytes")).toBeGreaterThan(0)
    expect(text.match(/^# TYPE http_requests_total counter$/gm)).toHaveLength(1)
  }, 60_000)

  it("replaces a killed worker, with a log line and a counter", async () => {
    gateway = await startTwoWorkers()
    const running = gateway
    // Both serve: a worker that stops before it ever served is a start-up failure, not a crash.
    await bothServing(running)
    const [victim, survivor] = childPids(running.child.pid!)
    process.kill(victim!, "SIGKILL")

    const replaced = await eventually(async () => {
      const now = childPids(running.child.pid!)
      expect(now).toHaveLength(2)
      expect(now).not.toContain(victim)
      expect(seriesValue(await scrape(running), "aigw_workers")).toBe(2)
      return now
    }, { timeoutMs: 30_000, intervalMs: 100 })
    expect(replaced).toContain(survivor)
    expect(seriesValue(await scrape(running), "aigw_worker_restarts_total")).toBe(1)
    expect(running.output()).toMatch(new RegExp(`"pid":${victim},.*"signal":"SIGKILL".*worker died`))
    expect(await getOnNewConnection(`${running.baseUrl}/monitoring/healthz`)).toBe(200)
  }, 60_000)

  it("on SIGTERM lets the open streams of every worker finish, then exits 0", async () => {
    const release = gate()
    upstream = await startFake((_, res) =>
      sendSse(res, anthropic.messageStream(["def reverse", release, "(s):\n", "    return s[::-1]\n"]))
    )
    gateway = await startTwoWorkers({
      ANTHROPIC_API_KEY: "sk-ant-test",
      AIGW_ANTHROPIC__BASE_URL: upstream.url,
    })
    await bothServing(gateway)
    const streams = Array.from({ length: 10 }, () => openStream(gateway!.baseUrl))
    expect(await Promise.all(streams.map((stream) => stream.first))).toEqual(
      Array.from({ length: 10 }, () => "def reverse"),
    )

    gateway.child.kill("SIGTERM")
    const running = gateway
    // Both workers stopped accepting: the port is closed while the streams are still open.
    await eventually(
      async () => expect(await connects(`${running.baseUrl}/monitoring/healthz`)).toBe("ECONNREFUSED"),
      { timeoutMs: 20_000, intervalMs: 50 },
    )
    expect(gateway.child.exitCode).toBeNull()

    release.open()
    expect(await Promise.all(streams.map((stream) => stream.whole))).toEqual(
      Array.from({ length: 10 }, () => "def reverse(s):\n    return s[::-1]\n"),
    )
    expect(await gateway.exited, gateway.output()).toBe(0)
  }, 60_000)
})
