/**
 * Rate limits shared through a real Redis: two app instances draw from one budget, a restarted
 * instance finds its senders' buckets as they were, a Redis outage lets requests through and is
 * counted, and Redis is used again once it is back.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { postJson, startTestApp, type TestApp } from "../support/app.ts"
import { eventually } from "../support/eventually.ts"
import { freePort } from "../support/process.ts"
import { type RedisServer, startRedisServer } from "./redisServer.ts"

const completion = {
  current_file: { file_name: "app.py", content_above_cursor: "def f(", content_below_cursor: "" },
}

let redis: RedisServer
const apps: Array<TestApp> = []

beforeAll(async () => {
  redis = await startRedisServer()
})
afterAll(async () => {
  await Promise.all(apps.map((app) => app.dispose()))
  await redis.kill()
})

const startInstance = (redisUrl = redis.url) => {
  const app = startTestApp({
    AIGW_MOCK_MODEL_RESPONSES: "true",
    AIGW_RATE_LIMIT__ENABLED: "true",
    AIGW_RATE_LIMIT__REQUESTS_PER_MINUTE: "4",
    AIGW_RATE_LIMIT__REDIS_URL: redisUrl,
  })
  apps.push(app)
  return app
}

const complete = (app: TestApp, user: string) =>
  app.request(
    "/v2/code/completions",
    postJson(completion, { "x-gitlab-instance-id": "instance-1", "x-gitlab-global-user-id": user }),
  )

const metricValue = (text: string, series: string): number => {
  const line = text.split("\n").find((entry) => entry.startsWith(`${series} `))
  return line === undefined ? 0 : Number(line.slice(series.length + 1))
}

const storeErrors = async (app: TestApp) =>
  metricValue(await app.scrape(), "aigw_rate_limit_store_errors_total")

describe("rate limits in Redis", () => {
  it("shares one budget between two instances, and keeps it when one restarts", async () => {
    const first = startInstance()
    const second = startInstance()
    const statuses: Array<number> = []
    for (const app of [first, second, first, second, first, second]) {
      statuses.push((await complete(app, "alice")).status)
    }
    expect(statuses, JSON.stringify(first.logs().filter((line) => line.level === "error"))).toEqual([
      200,
      200,
      200,
      200,
      429,
      429,
    ])
    const refused = await complete(second, "alice")
    // 4 per minute: a token every 15 s, less the time the requests took (Redis keeps the time).
    const retryAfter = Number(refused.headers.get("retry-after"))
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 15).toBe(true)
    expect(refused.headers.get("x-ratelimit-limit")).toBe("4")
    // Each instance counts the refusals it answered.
    expect(metricValue(await first.scrape(), `aigw_rate_limited_total{family="code"}`)).toBe(1)
    expect(metricValue(await second.scrape(), `aigw_rate_limited_total{family="code"}`)).toBe(2)

    await first.dispose()
    apps.splice(apps.indexOf(first), 1)
    const restarted = startInstance()
    expect((await complete(restarted, "alice")).status).toBe(429)
    expect((await complete(restarted, "bob")).status).toBe(200)
    expect(await storeErrors(restarted)).toBe(0)
  })

  it("lets requests through while Redis is down, counts it, and uses Redis again when it is back", async () => {
    const app = startInstance()
    for (let i = 0; i < 4; i++) expect((await complete(app, "carol")).status).toBe(200)
    expect((await complete(app, "carol")).status).toBe(429)

    await redis.kill()
    for (let i = 0; i < 3; i++) {
      const response = await complete(app, "carol")
      expect(response.status).toBe(200)
      expect(response.headers.get("x-ratelimit-limit")).toBeNull()
    }
    expect(await storeErrors(app)).toBe(3)
    const warnings = app.logs().filter((line) => line.logger === "ratelimit" && line.level === "warning")
    expect(warnings).toHaveLength(1)

    await redis.start()
    // The restarted Redis kept nothing: carol's bucket is full again once the client reconnected.
    await eventually(async () => {
      const response = await complete(app, "carol")
      expect(response.headers.get("x-ratelimit-limit")).toBe("4")
    })
    const statuses: Array<number> = []
    for (let i = 0; i < 4; i++) statuses.push((await complete(app, "carol")).status)
    expect(statuses).toEqual([200, 200, 200, 429])
  })

  it("lets requests through when Redis answers slower than 50 ms", async () => {
    const app = startInstance()
    expect((await complete(app, "dora")).headers.get("x-ratelimit-remaining")).toBe("3")
    redis.freeze()
    try {
      const response = await complete(app, "dora")
      expect(response.status).toBe(200)
      expect(response.headers.get("x-ratelimit-limit")).toBeNull()
      expect(await storeErrors(app)).toBe(1)
    } finally {
      redis.thaw()
    }
    await eventually(async () => {
      expect((await complete(app, "dora")).headers.get("x-ratelimit-limit")).toBe("4")
    })
  })

  it("starts and serves when Redis is unreachable from the start", async () => {
    const app = startInstance(`redis://:hunter2-secret@127.0.0.1:${await freePort()}`)
    for (let i = 0; i < 6; i++) expect((await complete(app, "erin")).status).toBe(200)
    expect(await storeErrors(app)).toBe(6)
    const lines = app.logs().filter((line) => line.logger === "ratelimit")
    expect(lines.map((line) => line.level)).toEqual(["info", "warning", "warning"])
    expect(JSON.stringify(app.logs())).not.toContain("hunter2-secret")
  })
})
