/**
 * Rate limits with buckets in memory, through the whole app (auth bypassed, mock models): 429s
 * come exactly at the budget, per identity and route family, with the documented headers and
 * counter.
 */
import { afterEach, describe, expect, it } from "vitest"
import { postJson, startTestApp, type TestApp } from "../support/app.ts"

const completion = {
  current_file: { file_name: "app.py", content_above_cursor: "def f(", content_below_cursor: "" },
}

let app: TestApp | undefined
const start = (env: Record<string, string> = {}) => (app = startTestApp({
  AIGW_MOCK_MODEL_RESPONSES: "true",
  AIGW_RATE_LIMIT__ENABLED: "true",
  AIGW_RATE_LIMIT__REQUESTS_PER_MINUTE: "3",
  ...env,
}))
afterEach(async () => {
  await app?.dispose()
  app = undefined
})

const asUser = (user: string, instance = "instance-1") => ({
  "x-gitlab-instance-id": instance,
  "x-gitlab-global-user-id": user,
  "x-gitlab-realm": "self-managed",
})

const complete = (target: TestApp, headers: Record<string, string>, path = "/v2/code/completions") =>
  target.request(path, postJson(completion, headers))

const metricValue = (text: string, series: string): number => {
  const line = text.split("\n").find((entry) => entry.startsWith(`${series} `))
  return line === undefined ? 0 : Number(line.slice(series.length + 1))
}

describe("rate limits in memory", () => {
  it("answers 429 exactly at the budget, with Retry-After and the X-RateLimit headers", async () => {
    const gateway = start()
    const remaining: Array<string | null> = []
    for (let i = 0; i < 3; i++) {
      const response = await complete(gateway, asUser("alice"))
      expect(response.status).toBe(200)
      expect(response.headers.get("x-ratelimit-limit")).toBe("3")
      remaining.push(response.headers.get("x-ratelimit-remaining"))
    }
    expect(remaining).toEqual(["2", "1", "0"])
    const refused = await complete(gateway, asUser("alice"))
    expect(refused.status).toBe(429)
    expect(await refused.json()).toEqual({ detail: "Rate limit exceeded" })
    // 3 per minute: the next token is back in 20 s.
    expect(refused.headers.get("retry-after")).toBe("20")
    expect(refused.headers.get("x-ratelimit-limit")).toBe("3")
    expect(refused.headers.get("x-ratelimit-remaining")).toBe("0")
    expect(metricValue(await gateway.scrape(), `aigw_rate_limited_total{family="code"}`)).toBe(1)
    const started = gateway.logs().filter((line) => line.logger === "ratelimit")
    expect(started).toMatchObject([{
      event: "rate limits on",
      store: "memory (per worker)",
      per_minute: { code: 3, chat: 3, "x-ray": 3 },
    }])
  })

  it("keeps one bucket per user, per instance and per route family", async () => {
    const gateway = start()
    for (let i = 0; i < 3; i++) expect((await complete(gateway, asUser("alice"))).status).toBe(200)
    expect((await complete(gateway, asUser("alice"))).status).toBe(429)
    // The /ai prefix and the legacy route are the same family.
    expect((await complete(gateway, asUser("alice"), "/ai/v2/code/completions")).status).toBe(429)
    expect((await complete(gateway, asUser("alice"), "/v2/completions")).status).toBe(429)
    expect((await complete(gateway, asUser("bob"))).status).toBe(200)
    expect((await complete(gateway, asUser("alice", "instance-2"))).status).toBe(200)
    const chat = await gateway.request(
      "/v1/chat/agent",
      postJson({ prompt_components: [] }, asUser("alice")),
    )
    expect(chat.status).not.toBe(429)
  })

  it("uses the per-family override and the burst as the bucket size", async () => {
    const gateway = start({ AIGW_RATE_LIMIT__OVERRIDES: `{"code": 120}`, AIGW_RATE_LIMIT__BURST: "2" })
    for (let i = 0; i < 2; i++) expect((await complete(gateway, asUser("carol"))).status).toBe(200)
    const refused = await complete(gateway, asUser("carol"))
    expect(refused.status).toBe(429)
    // 120 per minute: a token every 0.5 s, rounded up to whole seconds.
    expect(refused.headers.get("retry-after")).toBe("1")
    expect(refused.headers.get("x-ratelimit-limit")).toBe("2")
  })

  it("never limits when off (the default) nor the monitoring routes", async () => {
    const gateway = start({ AIGW_RATE_LIMIT__ENABLED: "false" })
    for (let i = 0; i < 5; i++) {
      const response = await complete(gateway, asUser("dave"))
      expect(response.status).toBe(200)
      expect(response.headers.get("x-ratelimit-limit")).toBeNull()
    }
    const limited = start()
    for (let i = 0; i < 5; i++) expect((await limited.request("/monitoring/healthz")).status).toBe(200)
  })
})
