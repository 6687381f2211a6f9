/**
 * Anthropic answers as text, and SDK failures as `ModelError`s.
 */
import type Anthropic from "@anthropic-ai/sdk"
import { APIConnectionError, APIError } from "@anthropic-ai/sdk"
import type { ModelError } from "../errors.ts"
import { UpstreamConnection, UpstreamStatus } from "../errors.ts"
import { connectionError, parseRetryAfter, type Target } from "../upstreamHttp.ts"

/** The text blocks of a Messages API answer, joined. */
export const messageText = (message: Anthropic.Message): string =>
  message.content.map((block) => block.type === "text" ? block.text : "").join("")

/** One Messages API stream event: its text, and whether it ends the answer. */
export const messageEvent = (event: Anthropic.RawMessageStreamEvent) => {
  if (event.type === "content_block_delta" && event.delta.type === "text_delta") {
    return { text: event.delta.text }
  }
  if (event.type === "content_block_start" && event.content_block.type === "text") {
    return { text: event.content_block.text }
  }
  return { end: event.type === "message_stop" }
}

export interface TextCompletion {
  readonly completion?: string
  readonly stop_reason?: string | null
}

/** One legacy completion (or stream event): its text, and whether it ends the answer. */
export const completionEvent = (event: TextCompletion) => ({
  text: event.completion,
  end: event.stop_reason !== undefined && event.stop_reason !== null,
})

export const fromAnthropicError = (target: Target) => (cause: unknown): ModelError => {
  if (cause instanceof APIConnectionError) return connectionError(target, cause)
  if (cause instanceof APIError && cause.status !== undefined) {
    const retryAfter = parseRetryAfter(cause.headers?.get("retry-after"))
    return new UpstreamStatus({
      ...target,
      status: cause.status,
      detail: cause.message.slice(0, 500),
      ...(retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter }),
    })
  }
  // An `error` event inside a stream (e.g. overloaded) or a connection dropped mid-body.
  if (cause instanceof APIError) {
    return new UpstreamConnection({ ...target, detail: cause.message.slice(0, 500) })
  }
  return connectionError(target, cause)
}
