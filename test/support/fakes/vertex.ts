/** Vertex wire formats: `:predict`, `:rawPredict` / `:streamRawPredict` (Codestral), Gemini JSON and SSE. */
import { type Handler, sendJson, type SseStep } from "./server.ts"

export const predictJson = (
  content: string,
  options: { readonly blocked?: boolean; readonly score?: number } = {},
) => ({
  predictions: [{
    content,
    ...(options.score === undefined ? {} : { score: options.score }),
    safetyAttributes: { blocked: options.blocked ?? false, categories: [], scores: [] },
  }],
  metadata: {},
})

export const predict =
  (content: string, options?: { readonly blocked?: boolean; readonly score?: number }): Handler => (_, res) =>
    sendJson(res, 200, predictJson(content, options))

export const geminiJson = (text: string, finishReason = "STOP") => ({
  candidates: [{ content: { role: "model", parts: [{ text }] }, finishReason }],
  usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 5 },
})

export const gemini = (text: string): Handler => (_, res) => sendJson(res, 200, geminiJson(text))

/** `streamGenerateContent?alt=sse`: a chunk per event, the last one with a finish reason. */
export const geminiStream = (chunks: ReadonlyArray<string | SseStep>) => {
  const texts = chunks.filter((chunk): chunk is string => typeof chunk === "string")
  const last = texts[texts.length - 1]
  return chunks.map((chunk) => {
    if (typeof chunk !== "string") return chunk
    const done = chunk === last
    return {
      data: JSON.stringify({
        candidates: [{
          content: { role: "model", parts: [{ text: chunk }] },
          ...(done ? { finishReason: "STOP" } : {}),
        }],
      }),
    }
  })
}

export const rawPredictJson = (text: string) => ({
  id: "cmpl-1",
  object: "chat.completion",
  model: "codestral",
  choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
})
