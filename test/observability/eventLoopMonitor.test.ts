import { afterEach, describe, expect, it } from "vitest"
import { startTestApp, type TestApp } from "../support/app.ts"

let app: TestApp | undefined
afterEach(async () => {
  await app?.dispose()
  app = undefined
})

const lagLines = (test: TestApp) => test.logs().filter((line) => line.event === "event loop lag")

describe("event-loop lag logging", () => {
  it("logs the loop's lag every interval when thread monitoring is on", async () => {
    app = startTestApp({
      AIGW_INSTRUMENTATOR__THREAD_MONITORING_ENABLED: "true",
      AIGW_INSTRUMENTATOR__THREAD_MONITORING_INTERVAL: "1",
    })
    await app.request("/monitoring/healthz")
    await new Promise((resolve) => setTimeout(resolve, 300))
    const blockedUntil = Date.now() + 600
    while (Date.now() < blockedUntil) { /* block the event loop */ }
    for (let waited = 0; waited < 40 && lagLines(app).length === 0; waited++) {
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    const [line] = lagLines(app)
    expect(line).toMatchObject({ logger: "instrumentator", level: "info" })
    expect(line!.event_loop_lag_max_s).toBeGreaterThanOrEqual(0.2)
  })

  it("is silent when thread monitoring is off", async () => {
    app = startTestApp({ AIGW_INSTRUMENTATOR__THREAD_MONITORING_INTERVAL: "1" })
    await app.request("/monitoring/healthz")
    await new Promise((resolve) => setTimeout(resolve, 1_300))
    expect(lagLines(app)).toEqual([])
  })
})
