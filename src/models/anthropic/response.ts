/**
 * Anthropic answers: the schemas of a Messages API answer, of its stream events and of a legacy
 * Text Completion (other fields are ignored), their text, and an SSE answer as decoded events.
 * An answer of another shape is an `UpstreamConnection` failure, like a malformed answer of any
 * other provider.
 */
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import type * as Sse from "effect/encoding/Sse"
import { type ModelError, UpstreamConnection } from "../errors.ts"
import { decodeAnswerResult, parseEventData, type SseStep, type Target } from "../upstreamHttp.ts"

const Block = Schema.Struct({ type: Schema.String, text: Schema.optional(Schema.String) })

/** A Messages API answer: its content blocks. */
export const Message = Schema.Struct({ content: Schema.Array(Block) })
export type Message = typeof Message.Type

/** The text blocks of a Messages API answer, joined. */
export const messageText = (message: Message): string =>
  message.content.map((block) => block.type === "text" ? block.text ?? "" : "").join("")

const Part = Schema.optional(Schema.Struct({
  type: Schema.optional(Schema.String),
  text: Schema.optional(Schema.String),
}))

/** One Messages API stream event (`message_start`, `content_block_delta`, …, `message_stop`). */
export const MessageStreamEvent = Schema.Struct({ type: Schema.String, delta: Part, content_block: Part })
export type MessageStreamEvent = typeof MessageStreamEvent.Type

/** One Messages API stream event: its text, and whether it ends the answer. */
export const messageEvent = (event: MessageStreamEvent) => {
  if (event.type === "content_block_delta" && event.delta?.type === "text_delta") {
    return { text: event.delta.text }
  }
  if (event.type === "content_block_start" && event.content_block?.type === "text") {
    return { text: event.content_block.text }
  }
  return { end: event.type === "message_stop" }
}

/** A legacy Text Completion, or one event of its stream. */
export const TextCompletion = Schema.Struct({
  completion: Schema.String,
  stop_reason: Schema.optional(Schema.NullOr(Schema.String)),
})
export type TextCompletion = typeof TextCompletion.Type

/** One legacy completion (or stream event): its text, and whether it ends the answer. */
export const completionEvent = (event: TextCompletion) => ({
  text: event.completion,
  end: event.stop_reason !== undefined && event.stop_reason !== null,
})

/** The `error` event Anthropic sends inside a stream (e.g. `overloaded_error`) instead of a status. */
const streamedError = (target: Target, event: Sse.Event) => {
  let detail = event.data
  try {
    const body = JSON.parse(event.data) as { readonly error?: unknown }
    if (body.error !== undefined) detail = JSON.stringify(body.error)
  } catch {
    // not JSON: the raw data says it
  }
  return new UpstreamConnection({ ...target, detail: detail.slice(0, 500) })
}

/**
 * How an Anthropic SSE answer's events become text (`postSseText`): each event decoded with
 * `schema` and read by `read`; `ping`s and empty events are skipped, an `error` event fails
 * the stream.
 */
export const anthropicSteps = <S extends Schema.Decoder<unknown>>(
  schema: S,
  read: (event: S["Type"]) => SseStep,
  target: Target,
) => {
  const decode = decodeAnswerResult(schema, target)
  return (event: Sse.Event): Result.Result<SseStep, ModelError> | undefined => {
    if (event.event === "ping" || event.data === "") return undefined
    if (event.event === "error") return Result.fail(streamedError(target, event))
    return Result.map(Result.flatMap(parseEventData(target, event), decode), read)
  }
}
