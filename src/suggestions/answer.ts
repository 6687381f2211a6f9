/**
 * The model call of a code suggestion, shared by completions and generations: the call prepared
 * once (whole or streamed), and the answer a model failure becomes — it does not fail the request
 * (SPEC §3.3 compatibility: 200 with empty choices); it is logged and named in the answer, which
 * the HTTP layer turns into `X-AIGW-Model-Error`.
 */
import * as Effect from "effect/Effect"
import type * as Stream from "effect/Stream"
import { type ModelError, modelErrorKind } from "../models/errors.ts"
import type { ModelIdentity, ModelShape } from "../models/types.ts"
import type { ModelEntry } from "../models/catalog.ts"
import type { Suggestion, SuggestionReport } from "./Suggestion.ts"

/** One request to a model, ready to run as a whole answer or as a stream of chunks. */
export interface ModelCall {
  readonly model: ModelIdentity
  readonly generate: Effect.Effect<{ readonly text: string }, ModelError>
  readonly stream: Stream.Stream<string, ModelError>
}

export const modelCall = <Request extends { readonly model: ModelEntry }>(
  model: ModelShape<Request>,
  request: Request,
): ModelCall => ({
  model: model.identify(request.model),
  // Built on first use: a request runs one of the two, and building the other (its provider
  // body, its resilience wrapping) is work the answer never needs.
  get generate() {
    return model.generate(request)
  },
  get stream() {
    return model.stream(request)
  },
})

/** The stream answer: chunks as the model yields them. */
export const streamed = (report: SuggestionReport, call: ModelCall): Suggestion => ({
  _tag: "Stream",
  ...report,
  chunks: call.stream,
})

/** The text answer of a whole call. */
export const answered = (report: SuggestionReport) => (text: string): Suggestion => ({
  _tag: "Text",
  ...report,
  text,
})

/** A failed model call as an empty answer naming the failure. */
export const failedModelCall = (report: SuggestionReport) => (error: ModelError): Effect.Effect<Suggestion> =>
  Effect.as(
    Effect.logWarning("model call failed", {
      model_engine: report.model.engine,
      model_name: report.model.name,
      model_error: modelErrorKind(error),
      error: error.message,
    }),
    { _tag: "Text", ...report, text: "", modelError: modelErrorKind(error) } satisfies Suggestion,
  )
