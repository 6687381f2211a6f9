/**
 * Metric labels whose values a request chooses (SPEC §13): a client inventing extensions, editor
 * languages, telemetry model names, languages and experiment names cannot grow the registry, and
 * the counts it reports are bounded.
 */
import { Effect } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { makeMetrics, maxRequestLabelValues, otherLabelValue } from "../../src/observability/Metrics.ts"
import { countLanguage, countTelemetry } from "../../src/suggestions/suggestionMetrics.ts"
import * as vertex from "../support/fakes/vertex.ts"
import { type Gateway, legacyModels, startGateway } from "../support/gateway.ts"

/** Distinct values of `label` among the series lines of `name`. */
const labelValues = (text: string, name: string, label: string): Set<string> => {
  const values = new Set<string>()
  const pattern = new RegExp(`${label}="((?:[^"\\\\]|\\\\.)*)"`)
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue
    const match = pattern.exec(line)
    if (match !== null) values.add(match[1]!)
  }
  return values
}

const seriesCount = (text: string, name: string) =>
  text.split("\n").filter((line) => line.startsWith(`${name}{`)).length

const telemetryLabels = ["model_engine", "model_name", "lang", "exp_names", "exp_variants"]

describe("request-chosen labels, 10,000 distinct values each", () => {
  it("keep at most 100 values per label, the rest as other, and /metrics under 1 MB", async () => {
    const metrics = makeMetrics()
    const before = seriesCount(await metrics.registry.metrics(), "code_suggestions_prompt_language_total")
    for (let index = 0; index < 10_000; index++) {
      Effect.runSync(countLanguage(metrics, `file.ext${index}`, `editor-${index}`, undefined))
      Effect.runSync(countTelemetry(
        metrics,
        [{
          model_engine: `engine-${index}`,
          model_name: `model-${index}`,
          lang: `lang-${index}`,
          experiments: [{ name: `exp_${"x".repeat(90)}_${index}`, variant: index }],
          requests: 1,
          accepts: 1,
          errors: 1,
        }],
        {},
        { engine: "vertex-ai", name: "code-gecko@002", lang: "python" },
      ))
    }
    const text = await metrics.registry.metrics()
    expect(text.length).toBeLessThan(1_000_000)
    for (const [label, first] of [["extension", "ext0"], ["editor_lang", "editor-0"]] as const) {
      const values = labelValues(text, "code_suggestions_prompt_language_total", label)
      expect(values.size).toBeLessThanOrEqual(maxRequestLabelValues + 1)
      expect(values.has(otherLabelValue)).toBe(true)
      expect(values.has(first)).toBe(true)
    }
    expect(seriesCount(text, "code_suggestions_prompt_language_total") - before).toBeLessThanOrEqual(
      maxRequestLabelValues + 1,
    )
    for (const name of ["code_suggestions_requests_total", "code_suggestions_accepts_total"]) {
      for (const label of telemetryLabels) {
        expect(labelValues(text, name, label).size, `${name} ${label}`).toBeLessThanOrEqual(
          maxRequestLabelValues + 1,
        )
      }
      expect(seriesCount(text, name)).toBeLessThanOrEqual(2 * (maxRequestLabelValues + 1))
    }
  })

  it("count experiment names longer than 100 characters as other", () => {
    const metrics = makeMetrics()
    const bounded = metrics.requestLabels.telemetryExpNames
    expect(bounded.of("exp_a")).toBe("exp_a")
    expect(bounded.of("x".repeat(300_000))).toBe(otherLabelValue)
  })
})

describe("telemetry through the app", () => {
  let gateway: Gateway | undefined
  afterEach(async () => {
    await gateway?.close()
    gateway = undefined
  })

  const body = (index: number, experiments: ReadonlyArray<unknown>) => ({
    current_file: {
      file_name: `app.ext${index}`,
      content_above_cursor: "def f(x):\n    return ",
      content_below_cursor: "\n",
    },
    telemetry: [{ model_engine: `engine-${index}`, model_name: "m", lang: "py", experiments, requests: 1 }],
  })

  it("answers 422 for more than 10 experiments or a name over 100 characters", async () => {
    gateway = await startGateway()
    const many = Array.from({ length: 11 }, (_, index) => ({ name: `e${index}`, variant: 0 }))
    for (const experiments of [many, [{ name: "x".repeat(101), variant: 0 }]]) {
      const response = await gateway.post("/v2/code/completions", body(0, experiments))
      expect(response.status).toBe(422)
      const detail = (await response.json() as { detail: Array<{ loc: Array<unknown> }> }).detail
      expect(detail[0]!.loc.slice(0, 3)).toEqual(["body", "telemetry", 0])
    }
    gateway.vertex.enqueue(vertex.predict("x"))
    const ten = Array.from({ length: 10 }, (_, index) => ({ name: "y".repeat(100), variant: index }))
    expect((await gateway.post("/v2/code/completions", body(0, ten))).status).toBe(200)
  })

  it("caps the labels of real requests and ignores header counts that are not 0–1000", async () => {
    gateway = await startGateway(legacyModels())
    const requests = maxRequestLabelValues + 30
    for (let index = 0; index < requests; index++) gateway.vertex.enqueue(vertex.predict("x"))
    for (let index = 0; index < requests; index++) {
      const response = await gateway.post(
        "/v2/code/completions",
        body(index, [{ name: `exp-${index}`, variant: 1 }]),
      )
      expect(response.status).toBe(200)
    }
    const headers = await gateway.headers()
    for (const accepts of ["99999999999999999999", "1001", "-5", "2.5", "1e3", "7"]) {
      gateway.vertex.enqueue(vertex.predict("x"))
      const response = await gateway.request("/v2/code/completions", {
        method: "POST",
        headers: { ...headers, "x-gitlab-cs-accepts": accepts },
        body: JSON.stringify(body(0, [])),
      })
      expect(response.status).toBe(200)
    }
    const text = await gateway.scrape()
    const extensions = labelValues(text, "code_suggestions_prompt_language_total", "extension")
    expect(extensions.size).toBe(maxRequestLabelValues + 1)
    expect(extensions.has(otherLabelValue)).toBe(true)
    const engines = labelValues(text, "code_suggestions_requests_total", "model_engine")
    expect(engines.size).toBe(maxRequestLabelValues + 1)
    expect(labelValues(text, "code_suggestions_requests_total", "exp_names").size).toBe(
      maxRequestLabelValues + 1,
    )
    // Only the valid header count (7) was added.
    const accepted = text.split("\n").filter((line) => line.startsWith("code_suggestions_accepts_total{"))
    expect(accepted.map((line) => Number(line.slice(line.lastIndexOf(" ") + 1)))).toEqual([7])
  })
})
