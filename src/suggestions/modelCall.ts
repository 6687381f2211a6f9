/**
 * The model call of a code suggestion, shared by completions and generations: a model failure
 * does not fail the request (SPEC §3.3 compatibility: 200 with empty choices); it is logged and
 * named in the answer, which the HTTP layer turns into `X-AIGW-Model-Error`.
 */
import { Effect, type Stream } from "effect"
import { type ModelError, modelErrorKind } from "../models/errors.ts"
import type { MetricsShape } from "../observability/Metrics.ts"
import type { ExperimentOutcome } from "./experiments.ts"
import { timePostProcessing } from "./suggestionMetrics.ts"
import type { Suggestion, SuggestionModel } from "./Suggestion.ts"

/** One prepared call to a model: as a whole answer or as a stream of chunks. */
export interface ModelCall {
  readonly generate: Effect.Effect<{ readonly text: string }, ModelError>
  readonly stream: Stream.Stream<string, ModelError>
}

/** Calls the model (or returns its stream) and post-processes a whole answer. */
export const answer = (
  call: ModelCall,
  options: {
    readonly stream: boolean
    readonly model: SuggestionModel
    readonly experiments: ReadonlyArray<ExperimentOutcome>
    readonly postProcess: (text: string) => Effect.Effect<string>
    readonly metrics: MetricsShape
  },
): Effect.Effect<Suggestion> => {
  const { model, experiments } = options
  if (options.stream) return Effect.succeed({ _tag: "Stream", model, experiments, chunks: call.stream })
  return call.generate.pipe(
    Effect.tap((result) => Effect.logDebug("model answered", { completion: result.text })),
    Effect.flatMap((result) => timePostProcessing(options.metrics, model, options.postProcess(result.text))),
    Effect.tap((text) => Effect.logDebug("post-processed", { completion: text })),
    Effect.map((text): Suggestion => ({ _tag: "Text", model, experiments, text })),
    Effect.catch((error: ModelError) =>
      Effect.as(
        Effect.logWarning("model call failed", {
          model_engine: model.engine,
          model_name: model.name,
          model_error: modelErrorKind(error),
          error: error.message,
        }),
        {
          _tag: "Text",
          model,
          experiments,
          text: "",
          modelError: modelErrorKind(error),
        } satisfies Suggestion,
      )
    ),
  )
}
