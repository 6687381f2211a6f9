/**
 * The OpenAI-style wire format, shared by every provider that speaks it (the OpenAI-compatible
 * servers, and Codestral on Vertex `:rawPredict` / `:streamRawPredict`): the completions body,
 * the answer schemas, the text of an answer, and an SSE answer as text chunks.
 *
 * Optional parameters are sent only when set; explicit zeros and an empty stop list are sent.
 * `top_k` is an extension vLLM, Ollama and Fireworks accept; Mistral's FIM body (Codestral) has
 * no such field.
 *
 * Text is `choices[0].text` for completions, `choices[0].message.content` for chat and
 * `choices[0].delta.content` in chat streams; `null` content (a refusal or tool call) is no text.
 * A stream ends with `data: [DONE]` or a `finish_reason`.
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import type * as Sse from "effect/encoding/Sse"
import type { ModelEntry } from "./catalog.ts"
import { type ModelError, UpstreamConnection } from "./errors.ts"
import type { ResolvedParameters } from "./parameters.ts"
import { messagesToText, type Prompt } from "./prompt.ts"
import { requireEnd } from "./streaming.ts"
import { decodeAnswer, parseEventJson, type Target } from "./upstreamHttp.ts"

// --- requests ---------------------------------------------------------------------------------

export const sampling = (parameters: ResolvedParameters, options: { readonly topK: boolean }) => ({
  max_tokens: parameters.maxTokens,
  temperature: parameters.temperature,
  ...(parameters.topP === undefined ? {} : { top_p: parameters.topP }),
  ...(!options.topK || parameters.topK === undefined ? {} : { top_k: parameters.topK }),
  ...(parameters.stopSequences === undefined ? {} : { stop: [...parameters.stopSequences] }),
})

/** A `/v1/completions` body: `prompt` + `suffix` for fill in the middle. */
export const completionsBody = (
  entry: ModelEntry,
  prompt: Prompt,
  parameters: ResolvedParameters,
  stream: boolean,
  options: { readonly topK: boolean } = { topK: true },
) => ({
  model: entry.upstream,
  prompt: messagesToText(prompt),
  ...(prompt._tag === "Text" && prompt.suffix !== undefined ? { suffix: prompt.suffix } : {}),
  ...sampling(parameters, options),
  stream,
})

// --- answers ----------------------------------------------------------------------------------

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
