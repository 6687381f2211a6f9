/**
 * The Prometheus metrics of SPEC §7, scraped from the metrics listener after real requests
 * through the whole app (signed tokens, fake upstreams): series names, labels and buckets as the
 * original's dashboards expect them.
 */
import { afterEach, describe, expect, it } from "vitest"
import { eventually } from "../support/eventually.ts"
import * as anthropic from "../support/fakes/anthropic.ts"
import { gate, sendSse, status } from "../support/fakes/server.ts"
import * as vertex from "../support/fakes/vertex.ts"
import { type Gateway, legacyModels, startGateway } from "../support/gateway.ts"

let gateway: Gateway | undefined
afterEach(async () => {
  await gateway?.close()
  gateway = undefined
})

/** The value of one series line, e.g. `name{a="b"} 3`, or undefined when absent. */
const sample = (text: string, name: string, labels: Record<string, string> = {}): number | undefined => {
  const wanted = Object.entries(labels)
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue
    const labelText = line.slice(name.length).split("}")[0] ?? ""
    if (wanted.every(([key, value]) => labelText.includes(`${key}="${value}"`))) {
      return Number(line.slice(line.lastIndexOf(" ") + 1))
    }
  }
  return undefined
}

const completion = (file: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  current_file: {
    file_name: "app.py",
    content_above_cursor: "def f(x):\n    return ",
    content_below_cursor: "\n",
    ...file,
  },
  ...extra,
})

describe("HTTP metrics", () => {
  it("count requests by route template, method and status class, with the original's buckets", async () => {
    gateway = await startGateway(legacyModels())
    gateway.vertex.enqueue(vertex.predict("x"), vertex.predict("x"))
    await gateway.post("/v2/code/completions", completion())
    await gateway.post("/ai/v2/code/completions", completion())
    await gateway.post("/v2/code/completions", { bad: true })
    await gateway.request("/unknown/path/12345")
    await gateway.request("/monitoring/healthz")

    const text = await gateway.scrape()
    expect(
      sample(text, "http_requests_total", { handler: "/v2/code/completions", method: "POST", status: "2xx" }),
    )
      .toBe(1)
    expect(sample(text, "http_requests_total", { handler: "/ai/v2/code/completions", status: "2xx" })).toBe(1)
    expect(sample(text, "http_requests_total", { handler: "/v2/code/completions", status: "4xx" })).toBe(1)
    expect(sample(text, "http_requests_total", { handler: "none", method: "GET", status: "4xx" })).toBe(1)
    expect(text).not.toContain("/unknown/path")
    expect(text).not.toContain('handler="/monitoring/healthz"')
    expect(text).toContain("# TYPE http_request_duration_seconds histogram")
    // Every bound is there; how many requests fall under each depends on the machine's speed.
    const buckets = ["0.5", "1", "2.5", "5", "10", "30", "60", "+Inf"].map((bucket) =>
      sample(text, "http_request_duration_seconds_bucket", {
        handler: "/v2/code/completions",
        status: "2xx",
        le: bucket,
      })
    )
    expect(buckets.every((count) => count !== undefined)).toBe(true)
    expect(buckets.at(-1)).toBe(1)
    expect(
      text.match(
        /^http_request_duration_seconds_bucket\{[^}]*handler="\/v2\/code\/completions"[^}]*status="2xx"/gm,
      ),
    )
      .toHaveLength(buckets.length)
  })
})

describe("model call metrics", () => {
  it("count calls, durations, failures by kind and characters per vendor", async () => {
    gateway = await startGateway({
      ...legacyModels(),
      AIGW_MODEL_ENGINE_CONCURRENCY_LIMITS: JSON.stringify({ "vertex-ai": { "code-gecko@002": 7 } }),
    })
    gateway.vertex.enqueue(vertex.predict("return x"), status(500), status(500))
    await gateway.post("/v2/code/completions", completion())
    await gateway.post("/v2/code/completions", completion())

    const text = await gateway.scrape()
    const model = { model_engine: "vertex-ai", model_name: "code-gecko@002" }
    expect(sample(text, "code_suggestions_inference_requests_total", model)).toBe(2)
    expect(sample(text, "code_suggestions_inference_request_duration_seconds_count", model)).toBe(2)
    expect(sample(text, "code_suggestions_inference_request_duration_seconds_bucket", { ...model, le: "60" }))
      .toBe(2)
    expect(sample(text, "model_inferences_in_flight", model)).toBe(0)
    expect(sample(text, "model_inferences_max_concurrent", model)).toBe(7)
    expect(sample(text, "aigw_model_errors_total", { ...model, kind: "upstream_500" })).toBe(1)
    expect(sample(text, "gitlab_cloud_cost_spend_entry_total", {
      item: "output",
      unit: "characters",
      vendor: "vertex-ai",
      model: "code-gecko@002",
      feature_category: "code_suggestions",
    })).toBe("return x".length)
    expect(sample(text, "gitlab_cloud_cost_spend_entry_total", { item: "input", vendor: "vertex-ai" }))
      .toBeGreaterThan(0)
    expect(sample(text, "code_suggestions_post_processing_duration_seconds_count", model)).toBe(1)
  })

  it("measure a stream to its last chunk, and release the in-flight gauge", async () => {
    gateway = await startGateway(legacyModels())
    const second = gate()
    gateway.anthropic.enqueue((_, res) => sendSse(res, anthropic.completionStream(["a", second, "b"])))
    const sentAt = performance.now()
    const response = await gateway.post("/v1/chat/agent", {
      prompt_components: [{
        type: "prompt",
        metadata: { source: "t", version: "1" },
        payload: { content: "\n\nHuman: x\n\nAssistant:", model: "claude-2.1" },
      }],
      stream: true,
    }, ["duo_chat"])
    const reader = response.body!.getReader()
    await reader.read()
    const firstChunkAt = performance.now()
    const model = { model_engine: "anthropic", model_name: "claude-2.1" }
    expect(sample(await gateway.scrape(), "model_inferences_in_flight", model)).toBe(1)
    expect(sample(await gateway.scrape(), "http_requests_total", { handler: "/v1/chat/agent" }))
      .toBeUndefined()
    // Hold the stream open for longer than it took to reach its first chunk, so a duration
    // measured only to the first chunk is shorter than the span asserted below.
    const timeToFirstChunk = firstChunkAt - sentAt
    await new Promise((resolve) => setTimeout(resolve, timeToFirstChunk + 1))
    const heldSeconds = (performance.now() - firstChunkAt) / 1000
    expect(heldSeconds * 1000).toBeGreaterThan(timeToFirstChunk)
    second.open()
    while (!(await reader.read()).done) { /* drain */ }
    // The series are recorded as the stream finishes, just after its last byte.
    const text = await eventually(async () => {
      const scraped = await gateway!.scrape()
      expect(sample(scraped, "model_inferences_in_flight", model)).toBe(0)
      expect(sample(scraped, "http_requests_total", { handler: "/v1/chat/agent", status: "2xx" })).toBe(1)
      return scraped
    })
    expect(sample(text, "code_suggestions_inference_request_duration_seconds_sum", model))
      .toBeGreaterThanOrEqual(heldSeconds)
    expect(sample(text, "http_request_duration_seconds_sum", { handler: "/v1/chat/agent" }))
      .toBeGreaterThanOrEqual(heldSeconds)
    expect(
      sample(text, "gitlab_cloud_cost_spend_entry_total", { item: "output", feature_category: "duo_chat" }),
    )
      .toBe(2)
  })
})

describe("code suggestion metrics", () => {
  it("count language, experiments, prompt sizes, symbols and telemetry", async () => {
    gateway = await startGateway(legacyModels())
    gateway.vertex.enqueue(vertex.predict("x"))
    const big = "import os\nimport sys\n\ndef helper(a, b):\n    return a\n" +
      "value = compute()\n".repeat(3_000)
    await gateway.request("/v2/code/completions", {
      method: "POST",
      headers: {
        ...(await gateway.headers()),
        "x-gitlab-cs-accepts": "2",
        "x-gitlab-cs-requests": "3",
        "x-gitlab-cs-errors": "1",
      },
      body: JSON.stringify(completion(
        { content_above_cursor: big, language_identifier: "python" },
        {
          telemetry: [{
            model_engine: "vertex-ai",
            model_name: "code-gecko",
            lang: "python",
            experiments: [{ name: "exp_truncate_suffix", variant: 0 }],
            requests: 5,
            accepts: 4,
            errors: 1,
          }],
        },
      )),
    })

    const text = await gateway.scrape()
    expect(
      sample(text, "code_suggestions_prompt_language_total", {
        lang: "python",
        extension: "py",
        editor_lang: "python",
      }),
    )
      .toBe(1)
    expect(sample(text, "code_suggestions_experiments_total", { name: "exp_truncate_suffix", variant: "0" }))
      .toBe(1)
    expect(sample(text, "code_suggestions_prompt_symbols_total", { lang: "python", symbol: "imports" })).toBe(
      2,
    )
    expect(
      sample(text, "code_suggestions_prompt_symbols_total", {
        lang: "python",
        symbol: "function_signatures",
      }),
    ).toBe(1)
    for (const component of ["prefix", "suffix", "imports", "function_signatures"]) {
      expect(sample(text, "code_suggestions_inference_prompt_size_tokens_count", { component })).toBe(1)
    }
    expect(sample(text, "code_suggestions_inference_prompt_size_bytes_count", { component: "prefix" })).toBe(
      1,
    )
    const fromBody = {
      model_engine: "vertex-ai",
      model_name: "code-gecko",
      lang: "python",
      exp_names: "exp_truncate_suffix",
      exp_variants: "0",
    }
    expect(sample(text, "code_suggestions_requests_total", fromBody)).toBe(5)
    expect(sample(text, "code_suggestions_accepts_total", fromBody)).toBe(4)
    expect(sample(text, "code_suggestions_errors_total", fromBody)).toBe(1)
    const fromHeaders = { model_engine: "vertex-ai", model_name: "code-gecko@002", exp_names: "" }
    expect(sample(text, "code_suggestions_accepts_total", fromHeaders)).toBe(2)
    expect(sample(text, "code_suggestions_requests_total", fromHeaders)).toBe(3)
    expect(sample(text, "code_suggestions_errors_total", fromHeaders)).toBe(1)
  })

  it("include the process and event-loop metrics", async () => {
    gateway = await startGateway({ ...legacyModels(), AIGW_MOCK_MODEL_RESPONSES: "true" })
    const text = await gateway.scrape()
    expect(text).toMatch(/^process_cpu_seconds_total \d/m)
    expect(text).toMatch(/^process_resident_memory_bytes \d/m)
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m)
  })
})
