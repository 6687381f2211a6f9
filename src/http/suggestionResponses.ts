/**
 * Code suggestion answers as HTTP (SPEC §1 streaming, §3.3, §3.4).
 *
 * - A text answer is JSON; an empty one has `"choices": []` (v2); a model failure is still 200
 *   (compatibility) with `X-AIGW-Model-Error: <kind>`.
 * - A stream is streamResponse.ts's `text/event-stream`; a model failure before its first
 *   chunk gets the JSON answer above.
 * - A request the use cases find impossible is 422 naming the field.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import { modelErrorKind } from "../models/errors.ts"
import type { InvalidSuggestionRequest, Suggestion, SuggestionReport } from "../suggestions/Suggestion.ts"
import { invalidFieldResponse } from "./errors.ts"
import { type StreamFraming, streamOrFallback } from "./streamResponse.ts"
import type { SuggestionResponse } from "./v2Code.ts"
import type { V3Response } from "./v3Code.ts"

export const modelErrorHeader = "x-aigw-model-error"

/** The JSON body of an answer: its report, its text, and the time in Unix seconds. */
type BodyOf = (report: SuggestionReport, text: string, seconds: number) => unknown

const reportedModel = (report: SuggestionReport) => ({ ...report.model, lang: report.lang })

const v2Body: BodyOf = (report, text, created): SuggestionResponse => ({
  id: "id",
  model: reportedModel(report),
  experiments: report.experiments.map(({ name, variant }) => ({ name, variant })),
  object: "text_completion",
  created,
  choices: text === "" ? [] : [{ text, index: 0, finish_reason: "length" }],
})

const v3Body: BodyOf = (report, text, timestamp): V3Response => ({
  response: text,
  choices: text === "" ? [] : [{ text, index: 0, finish_reason: "length" }],
  metadata: { model: reportedModel(report), timestamp },
})

const json = (body: unknown, modelError: string | undefined) => {
  const response = HttpServerResponse.jsonUnsafe(body)
  return modelError === undefined
    ? response
    : HttpServerResponse.setHeader(response, modelErrorHeader, modelError)
}

const respond = (bodyOf: BodyOf, framing?: (report: SuggestionReport, seconds: number) => StreamFraming) =>
(
  suggestion: Suggestion,
): Effect.Effect<HttpServerResponse.HttpServerResponse, never, Scope.Scope> =>
  Effect.flatMap(Clock.currentTimeMillis, (millis) => {
    const seconds = Math.floor(millis / 1000)
    if (suggestion._tag === "Text") {
      return Effect.succeed(json(bodyOf(suggestion, suggestion.text, seconds), suggestion.modelError))
    }
    return streamOrFallback(
      suggestion.chunks,
      (error) => Effect.succeed(json(bodyOf(suggestion, "", seconds), modelErrorKind(error))),
      framing?.(suggestion, seconds),
    )
  })

/** The v2 answer (`/v2/completions`, `/v2/code/completions`, `/v2/code/generations`). */
export const v2Response = respond(v2Body)

/** The v3 answer (`/v3/code/completions`). */
export const v3Response = respond(v3Body)

const sseEvent = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`

/** v4 streams: `stream_start` with the model, a `content_chunk` per chunk, then `stream_end`. */
const v4Framing = (report: SuggestionReport, timestamp: number): StreamFraming => ({
  start: sseEvent("stream_start", {
    metadata: { model: { engine: report.model.engine, name: report.model.name }, timestamp },
  }),
  chunk: (content) => sseEvent("content_chunk", { choices: [{ delta: { content }, index: 0 }] }),
  end: sseEvent("stream_end", null),
  headers: { "x-streaming-format": "sse" },
})

/** The v4 answer (`/v4/code/suggestions`): as v3, streams as Server-Sent Events. */
export const v4Response = respond(v3Body, v4Framing)

export const answerInvalid = (error: InvalidSuggestionRequest) =>
  Effect.succeed(invalidFieldResponse(error.field, error.message))
