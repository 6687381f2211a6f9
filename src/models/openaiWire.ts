/**
 * The OpenAI-style wire format, shared by every provider that speaks it (the OpenAI-compatible
 * servers, and Codestral on Vertex `:rawPredict` / `:streamRawPredict`): the answer schemas, the
 * text of an answer, and an SSE answer as text chunks.
 *
 * Text is `choices[0].text` for completions, `choices[0].message.content` for chat and
 * `choices[0].delta.content` in chat streams; `null` content (a refusal or tool call) is no text.
 * A stream ends with `data: [DONE]` or a `finish_reason`.
 */
import { Effect, Schema, Stream } from "effect"
import type { Sse } from "effect/encoding"
import { type ModelError, UpstreamConnection } from "./errors.ts"
import { requireEnd } from "./streaming.ts"
import { decodeAnswer, parseEventJson, type Target } from "./upstreamHttp.ts"

const OptionalText = Schema.optional(Schema.NullOr(Schema.String))
const Content = Schema.optional(Schema.NullOr(Schema.Struct({ content: OptionalText })))

const Choice = Schema.Struct({
  text: OptionalText,
  message: Content,
  delta: Content,
  finish_reason: OptionalText,
})

/** A JSON answer or one stream event; other fields (`id`, `usage`, …) are ignored. */
export const OpenAiAnswer = Schema.Struct({ choices: Schema.Array(Choice) })
export type OpenAiAnswer = typeof OpenAiAnswer.Type

/** An `{"error": …}` event a server sends inside a stream instead of failing its status. */
const StreamedError = Schema.Struct({
  error: Schema.Unknown.check(Schema.makeFilter((error) => error !== null && error !== undefined)),
})
const isStreamedError = Schema.is(StreamedError)

export const choiceText = (answer: OpenAiAnswer): string => {
  const choice = answer.choices[0]
  return choice?.text ?? choice?.message?.content ?? choice?.delta?.content ?? ""
}

/** One stream event: its text, and whether it ends the answer. */
const choiceEvent = (answer: OpenAiAnswer) => {
  const finish = answer.choices[0]?.finish_reason
  return { text: choiceText(answer), end: finish !== undefined && finish !== null }
}

const eventStep = (target: Target, event: Sse.Event) =>
  Effect.flatMap(
    parseEventJson(target, event),
    (json) =>
      isStreamedError(json)
        ? Effect.fail(new UpstreamConnection({ ...target, detail: JSON.stringify(json.error).slice(0, 500) }))
        : Effect.map(decodeAnswer(OpenAiAnswer, target)(json), choiceEvent),
  )

/** An OpenAI-style SSE answer as text chunks. */
export const openAiStyleStream = (
  events: Stream.Stream<Sse.Event, ModelError>,
  target: Target,
): Stream.Stream<string, ModelError> => {
  const parsed = Stream.suspend(() => {
    // Servers may keep the connection open after `[DONE]`; stop reading there.
    let done = false
    return events.pipe(
      Stream.mapEffect((event) => {
        if (event.data.trim() === "[DONE]") {
          done = true
          return Effect.succeed({ text: "", end: true })
        }
        return eventStep(target, event)
      }),
      Stream.takeUntil(() => done),
    )
  })
  return requireEnd(
    parsed,
    (step) => step,
    () => new UpstreamConnection({ ...target, detail: "stream ended before its end event" }),
  )
}
