/**
 * Streamed answers (SPEC §1): `text/event-stream` whose body is the model's text chunks, raw —
 * no SSE framing, no JSON — each written as soon as the model yields it.
 *
 * The first chunk is awaited before answering, so a model failure before it gets the route's
 * normal error answer. A failure after it fails the body stream, which aborts the connection:
 * the client sees a truncated transfer, never a clean end.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Pull from "effect/Pull"
import * as Stream from "effect/Stream"
import type { NonEmptyReadonlyArray } from "effect/Array"
import * as HttpEffect from "effect/http/HttpEffect"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
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
 *
 * The body pulls the model's stream itself, the first batch (awaited here) then the rest, each
 * batch written as it comes: no stream stages between the model and the socket.
 */
export const streamOrFallback = (
  chunks: Stream.Stream<string, ModelError>,
  whenFailedEarly: (error: ModelError) => Effect.Effect<HttpServerResponse.HttpServerResponse>,
  framing: StreamFraming = rawFraming,
) =>
  Effect.gen(function* () {
    const pull = yield* Stream.toPull(chunks)
    const first = yield* Effect.result(pull)
    if (first._tag === "Failure" && !Cause.isDone(first.failure)) {
      yield* Effect.logWarning("model stream failed before its first chunk", {
        model_error: modelErrorKind(first.failure),
        error: first.failure.message,
      })
      return yield* whenFailedEarly(first.failure)
    }
    const encode = (batch: ReadonlyArray<string>) =>
      batch.map((chunk) => encoder.encode(framing.chunk(chunk))) as unknown as NonEmptyReadonlyArray<
        Uint8Array
      >
    const once = (text: string): ReadonlyArray<Uint8Array> => text === "" ? [] : [encoder.encode(text)]
    let ended = first._tag === "Failure"
    // The start (v4) and the first batch, then each batch as pulled, then the end (v4).
    let head: ReadonlyArray<Uint8Array> = [
      ...once(framing.start),
      ...(first._tag === "Success" ? encode(first.success) : []),
      ...(ended ? once(framing.end) : []),
    ]
    const rest = pull.pipe(
      Effect.tapError((error) =>
        Cause.isDone(error) ? Effect.void : Effect.logWarning(
          "model stream failed after it started; the connection is aborted",
          { model_error: modelErrorKind(error), error: error.message },
        )
      ),
      Effect.map(encode),
      Pull.catchDone(() => {
        ended = true
        const end = once(framing.end)
        return end.length > 0 ? Effect.succeed(end as NonEmptyReadonlyArray<Uint8Array>) : Cause.done()
      }),
    )
    const body: Effect.Effect<NonEmptyReadonlyArray<Uint8Array>, ModelError | Cause.Done> = Effect.suspend(
      () => {
        if (head.length > 0) {
          const batch = head as NonEmptyReadonlyArray<Uint8Array>
          head = []
          return Effect.succeed(batch)
        }
        return ended ? Cause.done() : rest
      },
    )
    // The rest of the stream lives in this request's scope: hand the scope to the body.
    return HttpEffect.scopeTransferToStream(
      HttpServerResponse.stream(Stream.fromPull(Effect.succeed(body)), {
        contentType: "text/event-stream",
        headers: { "cache-control": "no-cache", ...framing.headers },
      }),
    )
  })
