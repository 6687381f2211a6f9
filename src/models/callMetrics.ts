/**
 * The measurement of every model call (SPEC §7): calls, duration (to the last chunk of a
 * stream), calls in flight, failures by kind, characters to and from each vendor; and the model
 * fields of the request's access log line. Wrapped around Resilience, so retries and waits for a
 * concurrency slot count in the duration the client experienced.
 */
import { Effect, Exit, Stream } from "effect"
import type { MetricsShape } from "../observability/Metrics.ts"
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

const metricLabels = (model: ModelIdentity) => ({ model_engine: model.engine, model_name: model.name })

const finish = (
  metrics: MetricsShape,
  call: MeasuredCall,
  startedAt: number,
  outcome: { readonly error?: ModelError | undefined; readonly answerCharacters: number },
) => {
  const labels = metricLabels(call.model)
  const duration = seconds(startedAt)
  metrics.inferencesInFlight.dec(labels)
  metrics.inferenceDuration.observe(labels, duration)
  const cost = {
    unit: "characters",
    vendor: call.model.engine,
    model: call.model.name,
    feature_category: call.featureCategory,
  }
  metrics.costSpend.inc({ ...cost, item: "input" }, call.promptCharacters)
  if (outcome.answerCharacters > 0) {
    metrics.costSpend.inc({ ...cost, item: "output" }, outcome.answerCharacters)
  }
  const kind = outcome.error === undefined ? undefined : modelErrorKind(outcome.error)
  if (kind !== undefined) metrics.modelErrors.inc({ ...labels, kind })
  return recordFacts({
    ...labels,
    inference_duration_s: Math.round(duration * 1e6) / 1e6,
    ...(kind === undefined ? {} : { model_error: kind }),
  })
}

const start = (metrics: MetricsShape, call: MeasuredCall) => {
  const labels = metricLabels(call.model)
  metrics.inferenceRequests.inc(labels)
  metrics.inferencesInFlight.inc(labels)
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
