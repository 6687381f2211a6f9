/** Anthropic wire formats: Messages API (JSON and SSE) and legacy Text Completions (JSON and SSE). */
import { type Handler, sendJson, sendSse, type SseStep } from "./server.ts"

export const messageJson = (text: string, model = "claude") => ({
  id: "msg_1",
  type: "message",
  role: "assistant",
  model,
  content: [{ type: "text", text }],
  stop_reason: "end_turn",
  stop_sequence: null,
  usage: { input_tokens: 3, output_tokens: 5 },
})

const event = (type: string, body: object) => ({ event: type, data: JSON.stringify({ type, ...body }) })

export const textDelta = (text: string) =>
  event("content_block_delta", { index: 0, delta: { type: "text_delta", text } })

/** The events of a streamed message; pass gates between chunks to pace them. */
export const messageStream = (
  chunks: ReadonlyArray<string | SseStep>,
  options: { readonly complete?: boolean } = {},
) => [
  event("message_start", {
    message: { ...messageJson(""), content: [], usage: { input_tokens: 3, output_tokens: 0 } },
  }),
  event("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
  ...chunks.map((chunk) => typeof chunk === "string" ? textDelta(chunk) : chunk),
  ...(options.complete === false ? [] : [
    event("content_block_stop", { index: 0 }),
    event("message_delta", {
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { output_tokens: 5 },
    }),
    event("message_stop", {}),
  ]),
]

export const completionJson = (text: string) => ({
  type: "completion",
  id: "compl_1",
  completion: text,
  stop_reason: "stop_sequence",
  model: "claude",
})

export const completionStream = (chunks: ReadonlyArray<string | SseStep>) => [
  ...chunks.map((chunk) =>
    typeof chunk === "string"
      ? {
        event: "completion",
        data: JSON.stringify({ type: "completion", completion: chunk, stop_reason: null }),
      }
      : chunk
  ),
  {
    event: "completion",
    data: JSON.stringify({ type: "completion", completion: "", stop_reason: "stop_sequence" }),
  },
]

export const message = (text: string): Handler => (_, res) => sendJson(res, 200, messageJson(text))
export const completion = (text: string): Handler => (_, res) => sendJson(res, 200, completionJson(text))
export const sse = (steps: ReadonlyArray<SseStep>, end?: "close" | "reset"): Handler => (_, res) =>
  sendSse(res, steps, end === undefined ? {} : { end })
