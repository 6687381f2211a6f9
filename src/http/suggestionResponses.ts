/**
 * Code suggestion answers as HTTP (SPEC §1 streaming, §3.3, §3.4).
 *
 * - A text answer is JSON; an empty one has `"choices": []`; a model failure is still 200
 *   (compatibility) with `X-AIGW-Model-Error: <kind>`.
 * - A stream is streamResponse.ts's `text/event-stream`; a model failure before its first
 *   chunk gets the JSON answer above.
 */
import { Clock, Effect, type Scope } from "effect"
import { HttpServerResponse } from "effect/http"
import { modelErrorKind } from "../models/errors.ts"
import type { Suggestion, SuggestionModel } from "../suggestions/Suggestion.ts"
import { streamOrFallback } from "./streamResponse.ts"
import type { SuggestionResponse } from "./v2Code.ts"
import type { V3Response } from "./v3Code.ts"

export const modelErrorHeader = "x-aigw-model-error"

type TextAnswer = Extract<Suggestion, { _tag: "Text" }>

const withModelError = (response: HttpServerResponse.HttpServerResponse, modelError: string | undefined) =>
  modelError === undefined ? response : HttpServerResponse.setHeader(response, modelErrorHeader, modelError)

const nowSeconds = Effect.map(Clock.currentTimeMillis, (millis) => Math.floor(millis / 1000))

const v2Body = (
  answer: TextAnswer | { readonly model: SuggestionModel; readonly experiments: TextAnswer["experiments"] },
  text: string,
  created: number,
): SuggestionResponse => ({
  id: "id",
  model: answer.model,
  experiments: answer.experiments.map(({ name, variant }) => ({ name, variant })),
  object: "text_completion",
  created,
  choices: text === "" ? [] : [{ text, index: 0, finish_reason: "length" }],
})

/** The v2 answer (`/v2/completions`, `/v2/code/completions`, `/v2/code/generations`). */
export const v2Response = (
  suggestion: Suggestion,
): Effect.Effect<HttpServerResponse.HttpServerResponse, never, Scope.Scope> =>
  Effect.flatMap(nowSeconds, (created) => {
    if (suggestion._tag === "Text") {
      return Effect.succeed(
        withModelError(
          HttpServerResponse.jsonUnsafe(v2Body(suggestion, suggestion.text, created)),
          suggestion.modelError,
        ),
      )
    }
    return streamOrFallback(suggestion.chunks, (error) =>
      Effect.succeed(
        withModelError(HttpServerResponse.jsonUnsafe(v2Body(suggestion, "", created)), modelErrorKind(error)),
      ))
  })

const v3Body = (model: SuggestionModel, text: string, timestamp: number): V3Response => ({
  response: text,
  metadata: { model, timestamp },
})

/** The v3 answer (`/v3/code/completions`). */
export const v3Response = (
  suggestion: Suggestion,
): Effect.Effect<HttpServerResponse.HttpServerResponse, never, Scope.Scope> =>
  Effect.flatMap(nowSeconds, (timestamp) => {
    if (suggestion._tag === "Text") {
      return Effect.succeed(
        withModelError(
          HttpServerResponse.jsonUnsafe(v3Body(suggestion.model, suggestion.text, timestamp)),
          suggestion.modelError,
        ),
      )
    }
    return streamOrFallback(suggestion.chunks, (error) =>
      Effect.succeed(
        withModelError(
          HttpServerResponse.jsonUnsafe(v3Body(suggestion.model, "", timestamp)),
          modelErrorKind(error),
        ),
      ))
  })
