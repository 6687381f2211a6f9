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
 * How the chunks are written: raw by default (v2, v3); v4 frames them as Server-Sent Events
 * with a start and an end event. The end is written only after the last chunk, so a stream that
 * fails after it started never ends cleanly.
 */
export interface StreamFraming {
  readonly start: string
  readonly chunk: (text: string) => string
  readonly end: string
  readonly headers: Record<string, string>
}

const rawFraming: StreamFraming = { start: "", chunk: (text) => text, end: "", headers: {} }

/**
 * Streams the chunks, or — when the model fails before its first chunk — answers as
 * `whenFailedEarly` does with that failure. Runs in the request's scope, which the body stream
 * takes over.
 */
export const streamOrFallback = (
  chunks: Stream.Stream<string, ModelError>,
  whenFailedEarly: (error: ModelError) => Effect.Effect<HttpServerResponse.HttpServerResponse>,
  framing: StreamFraming = rawFraming,
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
    const chunksFromFirst = first._tag === "Some" ? Stream.concat(Stream.make(first.value), rest) : rest
    const framed = framing === rawFraming ? chunksFromFirst : Stream.make(framing.start).pipe(
      Stream.concat(Stream.map(chunksFromFirst, framing.chunk)),
      Stream.concat(Stream.make(framing.end)),
    )
    const body = framed.pipe(
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
        headers: { "cache-control": "no-cache", ...framing.headers },
      }),
    )
  })
