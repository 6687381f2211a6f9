/**
 * Each runtime runs the same sources as a real process: it starts, answers, refuses bad
 * configuration with one line and exit code 1, and exits 0 on SIGTERM. (That requests in
 * flight finish first is shown in shutdown.test.ts against the same Node server layer.)
 */
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { runGatewayToExit, type RunningGateway, type Runtime, startGateway } from "../support/process.ts"

let running: Array<RunningGateway> = []
afterEach(() => {
  for (const gateway of running) gateway.child.kill("SIGKILL")
  running = []
})

const start = async (runtime: Runtime, env: Record<string, string> = {}) => {
  const gateway = await startGateway(runtime, env)
  running.push(gateway)
  return gateway
}

describe.each(["node", "deno"] as const)("%s runtime", (runtime) => {
  it("serves healthz and a JSON 404", async () => {
    const gateway = await start(runtime)
    const health = await fetch(`${gateway.baseUrl}/monitoring/healthz`)
    expect(health.status).toBe(200)
    expect(await health.json()).toEqual({ status: "ok" })
    const missing = await fetch(`${gateway.baseUrl}/nothing-here`)
    expect(missing.status).toBe(404)
    expect(await missing.json()).toEqual({ detail: "Not Found" })
    expect(missing.headers.get("x-request-id")).toBeTruthy()
  })

  it("serves Prometheus metrics on the metrics listener, counting the requests", async () => {
    const gateway = await start(runtime)
    await fetch(`${gateway.baseUrl}/nothing-here`)
    const scrape = await fetch(`${gateway.metricsUrl}/metrics`)
    expect(scrape.status).toBe(200)
    expect(scrape.headers.get("content-type")).toMatch(/^text\/plain/)
    const text = await scrape.text()
    expect(text).toContain('http_requests_total{handler="none",method="GET",status="4xx"} 1')
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m)
    expect(text).toContain("nodejs_eventloop_lag_seconds")
    expect((await fetch(`${gateway.baseUrl}/metrics`)).status).toBe(404)
  })

  it("stops with one line naming a bad variable and exit code 1", async () => {
    const result = await runGatewayToExit(runtime, { AIGW_FASTAPI__API_PORT: "abc" })
    expect(result.code).toBe(1)
    expect(result.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(/^invalid configuration: AIGW_FASTAPI__API_PORT: .*abc/),
    ])
  })

  it("stops with one line naming an invalid model catalog file and exit code 1", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "aigw-catalog-")), "models.yaml")
    writeFileSync(file, "models:\n  code-gecko@002:\n    api: smoke-signals\n")
    const result = await runGatewayToExit(runtime, { AIGW_MODELS__CATALOG_FILE: file })
    expect(result.code).toBe(1)
    expect(result.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(/^invalid model catalog .*models\.yaml: /),
    ])
    const missing = await runGatewayToExit(runtime, { AIGW_MODELS__CATALOG_FILE: `${file}.missing` })
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/^invalid model catalog /)
  })

  it("on SIGTERM refuses new connections and exits 0", async () => {
    const gateway = await start(runtime)
    gateway.child.kill("SIGTERM")
    expect(await gateway.exited).toBe(0)
    await expect(fetch(`${gateway.baseUrl}/monitoring/healthz`)).rejects.toThrow()
  })
})
