import { afterEach, describe, expect, it } from "vitest"
import { startTestApp, type TestApp } from "../support/app.ts"
import { eventually } from "../support/eventually.ts"

const apps: Array<TestApp> = []
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.dispose()))
})
const start = (env: Record<string, string>) => {
  const app = startTestApp({ AIGW_INSTRUMENTATOR__THREAD_MONITORING_INTERVAL: "1", ...env })
  apps.push(app)
  return app
}

const lagLines = (test: TestApp) => test.logs().filter((line) => line.event === "event loop lag")

const blockEventLoop = (millis: number) => {
  const blockedUntil = Date.now() + millis
  while (Date.now() < blockedUntil) { /* block the event loop */ }
}

describe("event-loop lag logging", () => {
  it("logs the loop's lag every interval when thread monitoring is on", async () => {
    const app = start({ AIGW_INSTRUMENTATOR__THREAD_MONITORING_ENABLED: "true" })
    await app.request("/monitoring/healthz")
    // A first line shows the monitor is ticking, so the block below falls inside one of its ticks.
    const linesBefore = await eventually(() => {
      expect(lagLines(app).length).toBeGreaterThan(0)
      return lagLines(app).length
    }, { timeoutMs: 4_000 })
    blockEventLoop(600)
    const line = await eventually(() => {
      const after = lagLines(app).slice(linesBefore)
      const worst = after.find((line) => Number(line.event_loop_lag_max_s) >= 0.2)
      expect(worst, JSON.stringify(after)).toBeDefined()
      return worst!
    }, { timeoutMs: 4_000 })
    expect(line).toMatchObject({ logger: "instrumentator", level: "info" })
  })

  it("is silent when thread monitoring is off", async () => {
    const off = start({})
    const on = start({ AIGW_INSTRUMENTATOR__THREAD_MONITORING_ENABLED: "true" })
    await Promise.all([off.request("/monitoring/healthz"), on.request("/monitoring/healthz")])
    // Two lines from the app started alongside with monitoring on: two whole intervals passed.
    await eventually(() => expect(lagLines(on).length).toBeGreaterThanOrEqual(2), { timeoutMs: 5_000 })
    expect(lagLines(off)).toEqual([])
  })
})
