/**
 * JSON and SSE POSTs over Effect's HttpClient for the REST providers (Anthropic, Vertex :predict
 * and :rawPredict, OpenAI-compatible), with their failures as `ModelError`s. The client is the
 * runtime's (src/net/upstreamClient.ts: undici's keep-alive pool on Node, fetch on Deno).
 */
import { tlsProblem } from "../net/tlsProblem.ts"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Pull from "effect/Pull"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import type { NonEmptyReadonlyArray } from "effect/Array"
import * as Sse from "effect/encoding/Sse"
import type * as HttpClient from "effect/http/HttpClient"
import * as HttpClientError from "effect/http/HttpClientError"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import { describeIssue } from "../schema/describeIssue.ts"
import { type ModelError, UpstreamConnection, UpstreamStatus } from "./errors.ts"

export interface Target {
  readonly engine: string
  readonly model: string
}

/** `retry-after` in seconds: a number of seconds or an HTTP date. */
export const parseRetryAfter = (value: string | null | undefined, now = Date.now()): number | undefined => {
  if (value === undefined || value === null || value.trim() === "") return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return Math.max(0, seconds)
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, (date - now) / 1000)
}

const describe = (cause: unknown): string => {
  const tls = tlsProblem(cause)
  if (tls !== undefined) return tls
  if (cause instanceof Error) {
    const inner = (cause as { cause?: unknown }).cause
    return inner instanceof Error ? `${cause.message}: ${inner.message}` : cause.message
  }
  return String(cause)
}

export const connectionError = (target: Target, cause: unknown) =>
  new UpstreamConnection({ ...target, detail: describe(cause) })

export const fromHttpClientError = (target: Target, error: HttpClientError.HttpClientError): ModelError =>
  new UpstreamConnection({
    ...target,
    detail: tlsProblem(error) ?? error.reason.message ?? error.reason._tag,
  })

/** A non-2xx response as `UpstreamStatus`, with the start of its body for the logs. */
const statusError = (target: Target, response: HttpClientResponse.HttpClientResponse) =>
  Effect.flatMap(
    Effect.orElseSucceed(response.text, () => ""),
    (body) =>
      Effect.fail(
        new UpstreamStatus({
          ...target,
          status: response.status,
          detail: body.slice(0, 500),
          ...optionalRetryAfter(parseRetryAfter(response.headers["retry-after"])),
        }),
      ),
  )

const optionalRetryAfter = (seconds: number | undefined) =>
  seconds === undefined ? {} : { retryAfterSeconds: seconds }

const execute = (
  client: HttpClient.HttpClient,
  target: Target,
  url: string,
  headers: Record<string, string>,
  body: unknown,
) =>
  client.execute(
    HttpClientRequest.post(url).pipe(
      HttpClientRequest.setHeaders(headers),
      HttpClientRequest.bodyJsonUnsafe(body),
    ),
  ).pipe(
    Effect.mapError((error) => fromHttpClientError(target, error)),
    Effect.flatMap((response) =>
      response.status >= 200 && response.status < 300
        ? Effect.succeed(response)
        : statusError(target, response)
    ),
  )

/**
 * Decodes an upstream answer (JSON, or what an SDK parsed) with its schema. An answer of another
 * shape is malformed like one that is not JSON at all: `UpstreamConnection`, never a defect. The
 * detail names the fields that do not fit and what was expected there.
 */
export const decodeAnswer = <S extends Schema.Decoder<unknown>>(schema: S, target: Target) => {
  const decode = Schema.decodeUnknownEffect(schema)
  return (answer: unknown): Effect.Effect<S["Type"], ModelError> =>
    Effect.mapError(decode(answer), (error) => invalidAnswer(target, error))
}

const invalidAnswer = (target: Target, error: Schema.SchemaError) =>
  new UpstreamConnection({
    ...target,
    detail: `invalid answer: ${describeIssue(error.issue)}`.slice(0, 500),
  })

/** `decodeAnswer` at once, for the events of a stream (`decodeEvents`). */
export const decodeAnswerResult = <S extends Schema.Decoder<unknown>>(schema: S, target: Target) => {
  const decode = Schema.decodeUnknownResult(schema)
  return (answer: unknown): Result.Result<S["Type"], ModelError> =>
    Result.mapError(decode(answer), (error) => invalidAnswer(target, error))
}

/** POSTs JSON and reads a JSON answer of the shape `schema` describes. */
export const postJson = <S extends Schema.Decoder<unknown>>(
  client: HttpClient.HttpClient,
  target: Target,
  url: string,
  headers: Record<string, string>,
  body: unknown,
  schema: S,
): Effect.Effect<S["Type"], ModelError> =>
  execute(client, target, url, headers, body).pipe(
    Effect.flatMap((response) =>
      Effect.mapError(response.json, (error) => fromHttpClientError(target, error))
    ),
    Effect.flatMap(decodeAnswer(schema, target)),
  )

/**
 * POSTs JSON and reads the answer as Server-Sent Events, each as soon as it arrives. A dropped
 * connection fails the stream with `UpstreamConnection`.
 */
export const postSse = (
  client: HttpClient.HttpClient,
  target: Target,
  url: string,
  headers: Record<string, string>,
  body: unknown,
): Stream.Stream<Sse.Event, ModelError> =>
  Stream.unwrap(Effect.map(execute(client, target, url, headers, body), (response) =>
    response.stream.pipe(
      Stream.decodeText(),
      Stream.pipeThroughChannel(Sse.decode()),
      Stream.mapError((error): ModelError =>
        HttpClientError.isHttpClientError(error)
          ? fromHttpClientError(target, error)
          : connectionError(target, error)
      ),
    )))

/** What one SSE event of an answer says: text to pass on, and whether it ends the answer. */
export interface SseStep {
  readonly text?: string | undefined
  readonly end?: boolean
}

/**
 * POSTs JSON and reads the answer's text as Server-Sent Events, like `postSse` then `requireEnd`,
 * in one step per batch of bytes the connection delivers instead of a stream stage per
 * concern: bytes to text, text to events, each event to its step (`step`: `undefined` skips the
 * event, a failure fails the stream after the text before it), every text written as it arrives.
 * An answer that ends without an end event fails with `truncated`; a dropped connection with
 * `UpstreamConnection`.
 */
export const postSseText = (
  client: HttpClient.HttpClient,
  target: Target,
  url: string,
  headers: Record<string, string>,
  body: unknown,
  step: (event: Sse.Event) => Result.Result<SseStep, ModelError> | undefined,
  truncated: () => ModelError,
): Stream.Stream<string, ModelError> =>
  Stream.unwrap(Effect.map(
    execute(client, target, url, headers, body),
    (response) => sseText(response.stream, target, step, truncated),
  ))

type TextPull = Effect.Effect<NonEmptyReadonlyArray<string>, ModelError | Cause.Done>

const sseText = <E>(
  bytes: Stream.Stream<Uint8Array, E>,
  target: Target,
  step: (event: Sse.Event) => Result.Result<SseStep, ModelError> | undefined,
  truncated: () => ModelError,
): Stream.Stream<string, ModelError> =>
  Stream.transformPull(bytes, (pull) =>
    Effect.sync(() => {
      const decoder = new TextDecoder()
      let events: Array<Sse.Event> = []
      let retry: Sse.Retry | undefined
      let failure: ModelError | undefined
      let ended = false
      let upstreamDone = false
      const parser = Sse.makeParser((event) => {
        if (event._tag === "Retry") retry = event
        else events.push(event)
      })
      const feed = (text: string) => {
        const error = parser.feed(text)
        // As Sse.decode: an oversized event fails at once, without the events of its batch.
        if (error !== undefined && failure === undefined) failure = connectionError(target, error)
      }
      const texts = (): Array<string> => {
        const out: Array<string> = []
        if (failure !== undefined) {
          events = []
          return out
        }
        for (const event of events) {
          const result = step(event)
          if (result === undefined) continue
          if (Result.isFailure(result)) {
            failure = result.failure
            break
          }
          const { text, end } = result.success
          if (end === true) ended = true
          if (text !== undefined && text !== "") out.push(text)
        }
        events = []
        // As Sse.decode: a `retry` field ends the stream after the events parsed with it.
        if (failure === undefined && retry !== undefined) failure = connectionError(target, retry)
        return out
      }
      const read = pull.pipe(
        Effect.map((chunks) => {
          for (const chunk of chunks) feed(decoder.decode(chunk, { stream: true }))
          return texts()
        }),
        Pull.catchDone(() => {
          upstreamDone = true
          const rest = decoder.decode()
          if (rest.length > 0) feed(rest)
          return Effect.succeed(texts())
        }),
        Effect.mapError((error): ModelError =>
          HttpClientError.isHttpClientError(error)
            ? fromHttpClientError(target, error)
            : connectionError(target, error)
        ),
      )
      const next: TextPull = Effect.suspend(() => {
        if (failure !== undefined) return Effect.fail(failure)
        if (upstreamDone) return ended ? Cause.done() : Effect.fail(truncated())
        return Effect.flatMap(
          read,
          (out) => out.length > 0 ? Effect.succeed(out as unknown as NonEmptyReadonlyArray<string>) : next,
        )
      })
      return next
    }))

/** An SSE `data` payload as JSON, or `UpstreamConnection` naming the garbage (`postSseText` steps). */
export const parseEventData = (target: Target, event: Sse.Event): Result.Result<unknown, ModelError> => {
  try {
    return Result.succeed(JSON.parse(event.data) as unknown)
  } catch {
    return Result.fail(
      new UpstreamConnection({ ...target, detail: `invalid event data: ${event.data.slice(0, 200)}` }),
    )
  }
}

/** Parses an SSE `data` payload, failing the stream on garbage instead of skipping text. */
export const parseEventJson = (target: Target, event: Sse.Event): Effect.Effect<unknown, ModelError> =>
  Effect.fromResult(parseEventData(target, event))
