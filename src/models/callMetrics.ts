/**
 * The measurement of every model call (SPEC §7): calls, duration (to the last chunk of a
 * stream), calls in flight, failures by kind, characters to and from each vendor; and the model
 * fields of the request's access log line. Wrapped around Resilience, so retries and waits for a
 * concurrency slot count in the duration the client experienced.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Stream from "effect/Stream"
import { cachedSeries, type MetricsShape } from "../observability/Metrics.ts"
import { recordFacts } from "../observability/RequestFacts.ts"
import { type ModelError, modelErrorKind } from "./errors.ts"
import type { ModelIdentity } from "./types.ts"

/** What one call is counted as. */
export interface MeasuredCall {
  readonly model: ModelIdentity
  /** `code_suggestions` or `duo_chat`, for the cost counter. */
  readonly featureCategory: string
  /** Characters sent, for the cost counter. */
  readonly promptCharacters: number
}

const seconds = (startedAt: number) => (performance.now() - startedAt) / 1000

/** The labelled children of one model's series, made on its first call and reused. */
interface ModelSeries {
  readonly labels: { readonly model_engine: string; readonly model_name: string }
  readonly requests: { inc: () => void }
  readonly inFlight: { inc: () => void; dec: () => void }
  readonly duration: { observe: (seconds: number) => void }
  /** Per feature category: the input and output characters counters. */
  readonly cost: Map<
    string,
    { readonly input: { inc: (n: number) => void }; readonly output: { inc: (n: number) => void } }
  >
}

/** Model identities come from the catalog (bounded), so the cache is too. */
const seriesOfModel = cachedSeries((metrics, engine: string, name: string): ModelSeries => {
  const labels = { model_engine: engine, model_name: name }
  return {
    labels,
    requests: metrics.inferenceRequests.labels(labels),
    inFlight: metrics.inferencesInFlight.labels(labels),
    duration: metrics.inferenceDuration.labels(labels),
    cost: new Map(),
  }
})

const seriesOf = (metrics: MetricsShape, model: ModelIdentity) =>
  seriesOfModel(metrics, model.engine, model.name)

const costOf = (
  metrics: MetricsShape,
  series: ModelSeries,
  model: ModelIdentity,
  featureCategory: string,
) => {
  let cost = series.cost.get(featureCategory)
  if (cost === undefined) {
    const labels = {
      unit: "characters",
      vendor: model.engine,
      model: model.name,
      feature_category: featureCategory,
    }
    cost = {
      input: metrics.costSpend.labels({ ...labels, item: "input" }),
      output: metrics.costSpend.labels({ ...labels, item: "output" }),
    }
    series.cost.set(featureCategory, cost)
  }
  return cost
}

const finish = (
  metrics: MetricsShape,
  call: MeasuredCall,
  startedAt: number,
  outcome: { readonly error?: ModelError | undefined; readonly answerCharacters: number },
) => {
  const series = seriesOf(metrics, call.model)
  const duration = seconds(startedAt)
  series.inFlight.dec()
  series.duration.observe(duration)
  const cost = costOf(metrics, series, call.model, call.featureCategory)
  cost.input.inc(call.promptCharacters)
  if (outcome.answerCharacters > 0) cost.output.inc(outcome.answerCharacters)
  const kind = outcome.error === undefined ? undefined : modelErrorKind(outcome.error)
  if (kind !== undefined) metrics.modelErrors.inc({ ...series.labels, kind })
  const inferenceDuration = Math.round(duration * 1e6) / 1e6
  return recordFacts(
    kind === undefined
      ? { ...series.labels, inference_duration_s: inferenceDuration }
      : { ...series.labels, inference_duration_s: inferenceDuration, model_error: kind },
  )
}

const start = (metrics: MetricsShape, call: MeasuredCall) => {
  const series = seriesOf(metrics, call.model)
  series.requests.inc()
  series.inFlight.inc()
  return performance.now()
}

export const measureCall = <A extends { readonly text: string }>(
  metrics: MetricsShape,
  call: MeasuredCall,
  effect: Effect.Effect<A, ModelError>,
): Effect.Effect<A, ModelError> =>
  Effect.suspend(() => {
    const startedAt = start(metrics, call)
    return Effect.onExit(effect, (exit) =>
      finish(metrics, call, startedAt, {
        error: Exit.isFailure(exit)
          ? exit.cause.reasons.find((reason) => reason._tag === "Fail")?.error
          : undefined,
        answerCharacters: Exit.isSuccess(exit) ? exit.value.text.length : 0,
      }))
  })

export const measureStream = (
  metrics: MetricsShape,
  call: MeasuredCall,
  stream: Stream.Stream<string, ModelError>,
): Stream.Stream<string, ModelError> =>
  Stream.suspend(() => {
    const startedAt = start(metrics, call)
    let answerCharacters = 0
    let error: ModelError | undefined
    return stream.pipe(
      Stream.tap((chunk) =>
        Effect.sync(() => {
          answerCharacters += chunk.length
        })
      ),
      Stream.tapError((failure) =>
        Effect.sync(() => {
          error = failure
        })
      ),
      Stream.ensuring(Effect.suspend(() => finish(metrics, call, startedAt, { error, answerCharacters }))),
    )
  })
