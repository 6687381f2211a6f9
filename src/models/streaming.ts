/**
 * Stream plumbing shared by the providers.
 *
 * `fromSdkStream` bridges an SDK's async-iterable stream into an Effect Stream that yields each
 * event as the SDK yields it. The request's AbortController lives in the stream's scope, so
 * ending, failing or interrupting the stream aborts the upstream request.
 */
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as Stream from "effect/Stream"
import type { ModelError } from "./errors.ts"

export const fromSdkStream = <A>(
  open: (signal: AbortSignal) => PromiseLike<AsyncIterable<A>>,
  onError: (cause: unknown) => ModelError,
): Stream.Stream<A, ModelError> =>
  Stream.unwrap(Effect.gen(function* () {
    const controller = yield* Effect.acquireRelease(
      Effect.sync(() => new AbortController()),
      (controller) => Effect.sync(() => controller.abort()),
    )
    const iterable = yield* Effect.tryPromise({ try: () => open(controller.signal), catch: onError })
    return Stream.fromAsyncIterable(iterable, onError)
  }))

/**
 * Fails the stream when the upstream ended without its end-of-answer marker, so a connection
 * closed cleanly mid-answer is an error and not a silently shorter answer.
 */
export const requireEnd = <A>(
  events: Stream.Stream<A, ModelError>,
  step: (event: A) => { readonly text?: string | undefined; readonly end?: boolean },
  truncated: () => ModelError,
): Stream.Stream<string, ModelError> =>
  Stream.suspend(() => {
    let ended = false
    return events.pipe(
      Stream.filterMap((event) => {
        const { text, end } = step(event)
        if (end === true) ended = true
        return text === undefined || text === "" ? Result.failVoid : Result.succeed(text)
      }),
      Stream.concat(Stream.suspend(() => ended ? Stream.empty : Stream.fail(truncated()))),
    )
  })
