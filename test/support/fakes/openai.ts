/** OpenAI-compatible wire formats: `/v1/completions` and `/v1/chat/completions`, JSON and SSE. */
import { type Handler, sendJson, type SseStep } from "./server.ts"

export const completionJson = (text: string) => ({
  id: "cmpl-1",
  object: "text_completion",
  model: "m",
  choices: [{ index: 0, text, finish_reason: "stop" }],
})

export const chatJson = (text: string) => ({
  id: "chatcmpl-1",
  object: "chat.completion",
  model: "m",
  choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
})

export const completion = (text: string): Handler => (_, res) => sendJson(res, 200, completionJson(text))
export const chat = (text: string): Handler => (_, res) => sendJson(res, 200, chatJson(text))

const data = (body: unknown) => ({ data: JSON.stringify(body) })

export const completionStream = (chunks: ReadonlyArray<string | SseStep>) => [
  ...chunks.map((chunk) =>
    typeof chunk === "string" ? data({ choices: [{ index: 0, text: chunk, finish_reason: null }] }) : chunk
  ),
  data({ choices: [{ index: 0, text: "", finish_reason: "stop" }] }),
  { data: "[DONE]" },
]

export const chatStream = (chunks: ReadonlyArray<string | SseStep>) => [
  ...chunks.map((chunk) =>
    typeof chunk === "string"
      ? data({ choices: [{ index: 0, delta: { content: chunk }, finish_reason: null }] })
      : chunk
  ),
  data({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }] }),
  { data: "[DONE]" },
]
