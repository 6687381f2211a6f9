/**
 * Snowplow tracking (SPEC §7) against a collector test server on 127.0.0.1: batched events in
 * the tracker protocol with the code suggestions context; a failing or hung collector never
 * slows or fails a request, and its drops are counted; shutdown flushes the queue.
 */
import { afterEach, describe, expect, it } from "vitest"
import { collectorPath, contextSchema, payloadDataSchema } from "../../src/observability/Tracking.ts"
import { eventually } from "../support/eventually.ts"
import { type FakeUpstream, hang, sendJson, startFake, status } from "../support/fakes/server.ts"
import * as vertex from "../support/fakes/vertex.ts"
import { type Gateway, legacyModels, startGateway } from "../support/gateway.ts"

let gateway: Gateway | undefined
let collector: FakeUpstream | undefined
afterEach(async () => {
  await gateway?.close()
  await collector?.close()
  gateway = undefined
  collector = undefined
})

const start = async (collectorMode: "up" | "down" | "hang", batchSize: number) => {
  collector = await startFake(
    collectorMode === "up"
      ? (_, res) => sendJson(res, 200, {})
      : collectorMode === "down"
      ? status(503)
      : hang,
  )
  gateway = await startGateway({
    ...legacyModels(),
    AIGW_SNOWPLOW__ENABLED: "true",
    AIGW_SNOWPLOW__ENDPOINT: collector.url,
    AIGW_SNOWPLOW__BATCH_SIZE: String(batchSize),
  })
  return gateway
}

const completionBody = {
  current_file: {
    file_name: "app.py",
    content_above_cursor: "def f(x):\n    return ",
    content_below_cursor: "\n# end\n",
  },
  telemetry: [{
    model_engine: "vertex-ai",
    model_name: "code-gecko",
    lang: "python",
    requests: 2,
    accepts: 1,
    errors: 0,
  }],
}

type Payload = Record<string, string>
const decodeContext = (payload: Payload) =>
  JSON.parse(Buffer.from(payload.cx!, "base64url").toString("utf8")) as {
    data: Array<{ schema: string; data: Record<string, unknown> }>
  }

describe("Snowplow tracking", () => {
  it("sends suggestion_requested and token events in batches, in the tracker protocol", async () => {
    const app = await start("up", 3)
    app.vertex.enqueue(vertex.predict("x * 2"))
    const response = await app.request("/v2/code/completions", {
      method: "POST",
      headers: {
        ...(await app.headers()),
        "user-agent": "gitlab-language-server",
        "x-gitlab-global-user-id": "user-1",
        "x-gitlab-host-name": "gitlab.example.com",
        "x-gitlab-saas-namespace-ids": "1, 2",
        "x-gitlab-saas-duo-pro-namespace-ids": "3",
      },
      body: JSON.stringify(completionBody),
    })
    expect(response.status).toBe(200)

    await eventually(() => collector!.requests.length === 1)
    const [batch] = collector!.requests
    expect(batch!.method).toBe("POST")
    expect(batch!.url).toBe(collectorPath)
    expect(batch!.body.schema).toBe(payloadDataSchema)
    const payloads = batch!.body.data as Array<Payload>
    expect(payloads).toHaveLength(3)
    for (const payload of payloads) {
      expect(payload).toMatchObject({
        e: "se",
        aid: "gitlab_ai_gateway",
        tna: "gl",
        se_ca: "code_suggestions",
      })
      expect(payload.stm).toMatch(/^\d+$/)
    }
    expect(payloads.map((payload) => payload.se_ac).sort()).toEqual([
      "suggestion_requested",
      "tokens_per_user_request_prompt",
      "tokens_per_user_request_response",
    ])
    const tokens = payloads.find((payload) => payload.se_ac === "tokens_per_user_request_response")!
    expect(tokens).toMatchObject({ se_la: "code_completion" })
    expect(Number(tokens.se_va)).toBeGreaterThan(0)

    const requested = payloads.find((payload) => payload.se_ac === "suggestion_requested")!
    const context = decodeContext(requested).data.find((entry) => entry.schema === contextSchema)!
    expect(context.data).toEqual({
      request_counts: [{
        model_engine: "vertex-ai",
        model_name: "code-gecko",
        lang: "python",
        requests: 2,
        accepts: 1,
        errors: 0,
      }],
      prefix_length: "def f(x):\n    return ".length,
      suffix_length: "\n# end\n".length,
      language: "python",
      user_agent: "gitlab-language-server",
      gitlab_realm: "saas",
      gitlab_instance_id: "instance-ABC",
      gitlab_global_user_id: "user-1",
      gitlab_host_name: "gitlab.example.com",
      gitlab_saas_namespace_ids: ["1", "2"],
      gitlab_saas_duo_pro_namespace_ids: ["3"],
    })
    // Counted once the collector has answered, which is after it received the batch.
    await eventually(async () =>
      expect(Number((await app.scrape()).match(/^aigw_snowplow_events_sent_total (\d+)/m)?.[1])).toBe(3)
    )
  })

  it("sends a partial batch after a short wait", async () => {
    const app = await start("up", 100)
    app.vertex.enqueue(vertex.predict("x"))
    await app.post("/v2/code/completions", completionBody)
    await eventually(() => collector!.requests.length === 1, { timeoutMs: 3_000 })
    expect(collector!.requests[0]!.body.data).toHaveLength(3)
  })

  it("a hung collector does not slow requests", async () => {
    const app = await start("hang", 1)
    for (let index = 0; index < 6; index++) app.vertex.enqueue(vertex.predict("x"))
    expect((await app.post("/v2/code/completions", completionBody)).status).toBe(200)
    // From here on the collector holds a batch open and never answers.
    await collector!.received(1)
    const durations: Array<number> = []
    for (let index = 0; index < 5; index++) {
      const startedAt = performance.now()
      const response = await app.post("/v2/code/completions", completionBody)
      expect(response.status).toBe(200)
      durations.push(performance.now() - startedAt)
    }
    // A request that waited for the hung collector would take the whole 5 s send timeout; these
    // answer at the speed of the model (milliseconds), far below it even on a loaded machine.
    expect(Math.max(...durations)).toBeLessThan(4_000)
  })

  it("a failing collector drops events and counts them, and requests still succeed", async () => {
    const app = await start("down", 1)
    app.vertex.enqueue(vertex.predict("x"))
    expect((await app.post("/v2/code/completions", completionBody)).status).toBe(200)
    await eventually(() => collector!.requests.length >= 3)
    await eventually(async () =>
      expect(await app.scrape()).toContain('aigw_snowplow_events_dropped_total{reason="collector"} 3')
    )
  })

  it("flushes queued events when the app shuts down", async () => {
    const app = await start("up", 100)
    app.vertex.enqueue(vertex.predict("x"))
    await app.post("/v2/code/completions", completionBody)
    await app.dispose()
    expect(collector!.requests.flatMap((request) => request.body.data)).toHaveLength(3)
    gateway = undefined
    await Promise.all([app.oidc.close(), app.customersDot.close(), app.anthropic.close(), app.vertex.close()])
  })
})
