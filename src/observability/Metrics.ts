/**
 * Metrics: every Prometheus series of SPEC §7, with the names, types, labels and buckets of the
 * original gateway so its Grafana dashboards and alerts work unchanged, plus aigw's own
 * (`aigw_*`), the process metrics and event-loop lag of `prom-client`'s defaults. One registry per
 * app, served on the metrics listener (metricsRoutes.ts).
 */
import * as Context from "effect/Context"
import * as Layer from "effect/Layer"
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client"

const durationBuckets = [0.5, 1, 2.5, 5, 10, 30, 60]
const promptBytesBuckets = [64, 256, 1_024, 4_096, 16_384, 65_536, 262_144, 1_048_576]
const promptTokensBuckets = [16, 64, 256, 512, 1_024, 2_048, 4_096, 8_192, 32_768, 131_072]
const postProcessingBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25]

const modelLabels = ["model_engine", "model_name"] as const
const telemetryLabels = ["model_engine", "model_name", "lang", "exp_names", "exp_variants"] as const

/** What a label value chosen by a request becomes once its label is full or the value too long. */
export const otherLabelValue = "other"
/** Distinct values kept per request-chosen label (SPEC §13). */
export const maxRequestLabelValues = 100
/** Longer request-chosen values are `other`: no legitimate name is this long. */
export const maxRequestLabelLength = 100

/**
 * A label whose values come from requests: the first `limit` distinct values are kept, any other
 * is `other`, so a client inventing names cannot grow the registry without bound.
 */
export interface BoundedLabel {
  readonly of: (value: string) => string
}

export const boundedLabel = (limit: number = maxRequestLabelValues): BoundedLabel => {
  const seen = new Set<string>()
  return {
    of: (value) => {
      if (seen.has(value)) return value
      if (value.length > maxRequestLabelLength || seen.size >= limit) return otherLabelValue
      seen.add(value)
      return value
    },
  }
}

/** One bounded label per request-chosen label of the code suggestion series. */
const makeRequestLabels = () => ({
  extension: boundedLabel(),
  editorLang: boundedLabel(),
  experimentName: boundedLabel(),
  experimentVariant: boundedLabel(),
  telemetryModelEngine: boundedLabel(),
  telemetryModelName: boundedLabel(),
  telemetryLang: boundedLabel(),
  telemetryExpNames: boundedLabel(),
  telemetryExpVariants: boundedLabel(),
})

const makeSeries = () => {
  const registry = new Registry()
  const registers = [registry]
  return {
    registry,
    requestLabels: makeRequestLabels(),
    httpRequestDuration: new Histogram({
      name: "http_request_duration_seconds",
      help: "Duration of HTTP requests in seconds, to the last byte of the answer.",
      labelNames: ["handler", "method", "status"] as const,
      buckets: durationBuckets,
      registers,
    }),
    httpRequests: new Counter({
      name: "http_requests_total",
      help: "Total number of HTTP requests by handler, method and status class.",
      labelNames: ["handler", "method", "status"] as const,
      registers,
    }),
    inferenceRequests: new Counter({
      name: "code_suggestions_inference_requests_total",
      help: "Model calls made.",
      labelNames: modelLabels,
      registers,
    }),
    inferenceDuration: new Histogram({
      name: "code_suggestions_inference_request_duration_seconds",
      help: "Duration of model calls in seconds, to the last chunk of a stream.",
      labelNames: modelLabels,
      buckets: durationBuckets,
      registers,
    }),
    inferencesInFlight: new Gauge({
      name: "model_inferences_in_flight",
      help: "Model calls in progress.",
      labelNames: modelLabels,
      registers,
    }),
    inferencesMaxConcurrent: new Gauge({
      name: "model_inferences_max_concurrent",
      help: "The concurrency cap of a model (AIGW_MODEL_ENGINE_CONCURRENCY_LIMITS).",
      labelNames: modelLabels,
      registers,
    }),
    promptSizeBytes: new Histogram({
      name: "code_suggestions_inference_prompt_size_bytes",
      help: "Size of prompt components in bytes.",
      labelNames: [...modelLabels, "component"] as const,
      buckets: promptBytesBuckets,
      registers,
    }),
    promptSizeTokens: new Histogram({
      name: "code_suggestions_inference_prompt_size_tokens",
      help: "Size of prompt components in tokens.",
      labelNames: [...modelLabels, "component"] as const,
      buckets: promptTokensBuckets,
      registers,
    }),
    postProcessingDuration: new Histogram({
      name: "code_suggestions_post_processing_duration_seconds",
      help: "Duration of post-processing a completion in seconds.",
      labelNames: modelLabels,
      buckets: postProcessingBuckets,
      registers,
    }),
    promptLanguage: new Counter({
      name: "code_suggestions_prompt_language_total",
      help: "Code suggestion requests by detected language, file extension and editor language.",
      labelNames: ["lang", "extension", "editor_lang"] as const,
      registers,
    }),
    promptSymbols: new Counter({
      name: "code_suggestions_prompt_symbols_total",
      help: "Symbols tree-sitter found in prompts (imports, function signatures).",
      labelNames: ["lang", "symbol"] as const,
      registers,
    }),
    experiments: new Counter({
      name: "code_suggestions_experiments_total",
      help: "Experiment variants drawn.",
      labelNames: ["name", "variant"] as const,
      registers,
    }),
    accepts: new Counter({
      name: "code_suggestions_accepts_total",
      help: "Accepted suggestions reported by clients (telemetry).",
      labelNames: telemetryLabels,
      registers,
    }),
    requests: new Counter({
      name: "code_suggestions_requests_total",
      help: "Suggestion requests reported by clients (telemetry).",
      labelNames: telemetryLabels,
      registers,
    }),
    errors: new Counter({
      name: "code_suggestions_errors_total",
      help: "Suggestion errors reported by clients (telemetry).",
      labelNames: telemetryLabels,
      registers,
    }),
    costSpend: new Counter({
      name: "gitlab_cloud_cost_spend_entry_total",
      help: "Characters sent to and received from each vendor.",
      labelNames: ["item", "unit", "vendor", "model", "feature_category"] as const,
      registers,
    }),
    modelErrors: new Counter({
      name: "aigw_model_errors_total",
      help: "Failed model calls by kind (timeout, upstream_<status>, connection, blocked, concurrency).",
      labelNames: [...modelLabels, "kind"] as const,
      registers,
    }),
    trackingDropped: new Counter({
      name: "aigw_snowplow_events_dropped_total",
      help: "Snowplow events dropped because the queue was full or the collector failed.",
      labelNames: ["reason"] as const,
      registers,
    }),
    trackingSent: new Counter({
      name: "aigw_snowplow_events_sent_total",
      help: "Snowplow events the collector accepted.",
      registers,
    }),
  }
}

export type MetricsShape = ReturnType<typeof makeSeries>

/** A registry with every series, and the process and event-loop metrics. */
export const makeMetrics = (): MetricsShape => {
  const metrics = makeSeries()
  collectDefaultMetrics({ register: metrics.registry })
  return metrics
}

/**
 * The labelled children of some series, made once per label values and reused: prom-client's
 * `labels()` hashes the values and looks the child up on every call. Kept per Metrics, as tests
 * build many apps with their own; the label values must come from a bounded set.
 */
export const cachedSeries = <Values extends ReadonlyArray<string>, Series>(
  make: (metrics: MetricsShape, ...values: Values) => Series,
): (metrics: MetricsShape, ...values: Values) => Series => {
  const byMetrics = new WeakMap<MetricsShape, Map<string, Series>>()
  return (metrics, ...values) => {
    let cache = byMetrics.get(metrics)
    if (cache === undefined) {
      cache = new Map()
      byMetrics.set(metrics, cache)
    }
    const key = values.join("\u0000")
    let series = cache.get(key)
    if (series === undefined) {
      series = make(metrics, ...values)
      cache.set(key, series)
    }
    return series
  }
}

export class Metrics extends Context.Service<Metrics, MetricsShape>()("aigw/observability/Metrics") {
  static readonly layer = Layer.sync(Metrics, () => Metrics.of(makeMetrics()))

  /** A given registry, for adapters that serve it on two listeners. */
  static readonly layerFrom = (metrics: MetricsShape) => Layer.succeed(Metrics, Metrics.of(metrics))
}
