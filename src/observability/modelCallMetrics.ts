/**
 * Instrumentation of every model call (SPEC §7): calls, duration (to the last chunk of a
 * stream), calls in flight, failures by kind, characters to and from each vendor; and the model
 * fields of the request's access log line. Wrapped around Resilience, so retries and waits for a
 * concurrency slot count in the duration the client experienced.
 */
import { Effect, Exit, Stream } from "effect"
import { type ModelError, modelErrorKind } from "../models/errors.ts"
import type { MetricsShape } from "./Metrics.ts"
import { recordFacts } from "./RequestFacts.ts"

export interface ModelCallLabels {
  readonly engine: string
  readonly model: string
  /** `code_suggestions` or `duo_chat`, for the cost counter. */
  readonly featureCategory: string
  /** Characters sent, for the cost counter. */
  readonly promptCharacters: number
}

const seconds = (startedAt: number) => (performance.now() - startedAt) / 1000

const finish = (
  metrics: MetricsShape,
  labels: ModelCallLabels,
  startedAt: number,
  outcome: { readonly error?: ModelError | undefined; readonly answerCharacters: number },
) => {
  const modelLabels = { model_engine: labels.engine, model_name: labels.model }
  const duration = seconds(startedAt)
  metrics.inferencesInFlight.dec(modelLabels)
  metrics.inferenceDuration.observe(modelLabels, duration)
  const cost = {
    unit: "characters",
    vendor: labels.engine,
    model: labels.model,
    feature_category: labels.featureCategory,
  }
  metrics.costSpend.inc({ ...cost, item: "input" }, labels.promptCharacters)
  if (outcome.answerCharacters > 0) {
    metrics.costSpend.inc({ ...cost, item: "output" }, outcome.answerCharacters)
  }
  const kind = outcome.error === undefined ? undefined : modelErrorKind(outcome.error)
  if (kind !== undefined) metrics.modelErrors.inc({ ...modelLabels, kind })
  return recordFacts({
    model_engine: labels.engine,
    model_name: labels.model,
    inference_duration_s: Math.round(duration * 1e6) / 1e6,
    ...(kind === undefined ? {} : { model_error: kind }),
  })
}

const start = (metrics: MetricsShape, labels: ModelCallLabels) => {
  const modelLabels = { model_engine: labels.engine, model_name: labels.model }
  metrics.inferenceRequests.inc(modelLabels)
  metrics.inferencesInFlight.inc(modelLabels)
  return performance.now()
}

export const instrumentCall = <A extends { readonly text: string }>(
  metrics: MetricsShape,
  labels: ModelCallLabels,
  call: Effect.Effect<A, ModelError>,
): Effect.Effect<A, ModelError> =>
  Effect.suspend(() => {
    const startedAt = start(metrics, labels)
    return Effect.onExit(call, (exit) =>
      finish(metrics, labels, startedAt, {
        error: Exit.isFailure(exit)
          ? exit.cause.reasons.find((reason) => reason._tag === "Fail")?.error
          : undefined,
        answerCharacters: Exit.isSuccess(exit) ? exit.value.text.length : 0,
      }))
  })

export const instrumentStream = (
  metrics: MetricsShape,
  labels: ModelCallLabels,
  stream: Stream.Stream<string, ModelError>,
): Stream.Stream<string, ModelError> =>
  Stream.suspend(() => {
    const startedAt = start(metrics, labels)
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
      Stream.ensuring(Effect.suspend(() => finish(metrics, labels, startedAt, { error, answerCharacters }))),
    )
  })

/** Publishes the configured concurrency caps as `model_inferences_max_concurrent` at start. */
export const concurrencyCapsGauge = (
  metrics: MetricsShape,
  limits: Readonly<Record<string, Readonly<Record<string, number>>>>,
) =>
  Effect.sync(() => {
    for (const [engine, models] of Object.entries(limits)) {
      for (const [model, limit] of Object.entries(models)) {
        metrics.inferencesMaxConcurrent.set({ model_engine: engine, model_name: model }, limit)
      }
    }
  })
