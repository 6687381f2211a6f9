/**
 * Code suggestion answers as HTTP (SPEC §1 streaming, §3.3, §3.4).
 *
 * - A text answer is JSON; an empty one has `"choices": []`; a model failure is still 200
 *   (compatibility) with `X-AIGW-Model-Error: <kind>`.
 * - A stream is `text/event-stream` whose body is the model's chunks, raw, each written as it
 *   arrives. The first chunk is awaited before answering, so a failure before it gets the normal
 *   answer; a failure after it fails the body stream, which aborts the connection rather than
 *   ending the transfer cleanly.
 */
import { Clock, Effect, type Scope, Sink, Stream } from "effect"
import { HttpEffect, HttpServerResponse } from "effect/http"
import { type ModelError, modelErrorKind } from "../models/errors.ts"
import type { Suggestion, SuggestionModel } from "../suggestions/Suggestion.ts"
import type { SuggestionResponse } from "./v2Code.ts"
import type { V3Response } from "./v3Code.ts"

export const modelErrorHeader = "x-aigw-model-error"

type TextAnswer = Extract<Suggestion, { _tag: "Text" }>

const withModelError = (response: HttpServerResponse.HttpServerResponse, modelError: string | undefined) =>
  modelError === undefined ? response : HttpServerResponse.setHeader(response, modelErrorHeader, modelError)

const nowSeconds = Effect.map(Clock.currentTimeMillis, (millis) => Math.floor(millis / 1000))

const encoder = new TextEncoder()

/**
 * Streams the chunks, or — when the model fails before its first chunk — answers as
 * `whenFailedEarly` does with that failure.
 */
const streamOrFallback = (
  chunks: Stream.Stream<string, ModelError>,
  whenFailedEarly: (error: ModelError) => Effect.Effect<HttpServerResponse.HttpServerResponse>,
) =>
  Effect.gen(function* () {
    const peeled = yield* Stream.peel(chunks, Sink.head()).pipe(Effect.result)
    if (peeled._tag === "Failure") {
      yield* Effect.logWarning("model stream failed before its first chunk", {
        model_error: modelErrorKind(peeled.failure),
        error: peeled.failure.message,
      })
      return yield* whenFailedEarly(peeled.failure)
    }
    const [first, rest] = peeled.success
    const body = (first._tag === "Some" ? Stream.concat(Stream.make(first.value), rest) : rest).pipe(
      Stream.tapError((error) =>
        Effect.logWarning("model stream failed after it started; the connection is aborted", {
          model_error: modelErrorKind(error),
          error: error.message,
        })
      ),
      Stream.map((chunk) => encoder.encode(chunk)),
    )
    // The rest of the stream lives in this request's scope: hand the scope to the body.
    return HttpEffect.scopeTransferToStream(
      HttpServerResponse.stream(body, {
        contentType: "text/event-stream",
        headers: { "cache-control": "no-cache" },
      }),
    )
  })

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
