/**
 * Streamed answers (SPEC §1): `text/event-stream` whose body is the model's text chunks, raw —
 * no SSE framing, no JSON — each written as soon as the model yields it.
 *
 * The first chunk is awaited before answering, so a model failure before it gets the route's
 * normal error answer. A failure after it fails the body stream, which aborts the connection:
 * the client sees a truncated transfer, never a clean end.
 */
import { Effect, Sink, Stream } from "effect"
import { HttpEffect, HttpServerResponse } from "effect/http"
import { type ModelError, modelErrorKind } from "../models/errors.ts"

const encoder = new TextEncoder()

/**
 * Streams the chunks, or — when the model fails before its first chunk — answers as
 * `whenFailedEarly` does with that failure. Runs in the request's scope, which the body stream
 * takes over.
 */
export const streamOrFallback = (
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
