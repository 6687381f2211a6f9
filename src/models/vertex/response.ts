/**
 * Vertex answers as text, or as `Blocked` when safety filters withheld them. Fields are read
 * defensively: a prediction without `score` (or other optional fields) is a normal answer.
 */
import { ApiError, type GenerateContentResponse } from "@google/genai"
import { Blocked, type ModelError, UpstreamStatus } from "../errors.ts"
import { connectionError, type Target } from "../upstreamHttp.ts"

interface Prediction {
  readonly content?: unknown
  readonly safetyAttributes?: unknown
}

const isBlocked = (attributes: unknown): boolean => {
  const all = Array.isArray(attributes) ? attributes : [attributes]
  return all.some((entry) => (entry as { readonly blocked?: unknown } | null)?.blocked === true)
}

/** The first prediction's text; `Blocked` when its safety attributes say so. */
export const predictText = (target: Target, json: unknown): string | Blocked => {
  const predictions = (json as { readonly predictions?: unknown } | null)?.predictions
  const first = Array.isArray(predictions) ? predictions[0] as Prediction | undefined : undefined
  if (first === undefined || first === null) return ""
  if (isBlocked(first.safetyAttributes)) return new Blocked({ ...target, detail: "safetyAttributes.blocked" })
  return typeof first.content === "string" ? first.content : ""
}

const blockingFinishReasons = new Set(["SAFETY", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY"])

/** One Gemini answer (or stream chunk): its text and whether it ends the answer, or `Blocked`. */
export const geminiStep = (target: Target, response: GenerateContentResponse) => {
  const blockReason = response.promptFeedback?.blockReason
  if (blockReason !== undefined) return new Blocked({ ...target, detail: `prompt blocked: ${blockReason}` })
  const candidate = response.candidates?.[0]
  const finish = candidate?.finishReason
  if (finish !== undefined && blockingFinishReasons.has(finish)) {
    return new Blocked({ ...target, detail: `answer blocked: ${finish}` })
  }
  const text = (candidate?.content?.parts ?? [])
    .map((part) => part.thought === true || typeof part.text !== "string" ? "" : part.text)
    .join("")
  return { text, end: finish !== undefined }
}

export const fromGenAiError =
  (target: Target, retryAfterSeconds: () => number | undefined) => (cause: unknown): ModelError => {
    if (cause instanceof ApiError) {
      const retryAfter = retryAfterSeconds()
      return new UpstreamStatus({
        ...target,
        status: cause.status,
        detail: cause.message.slice(0, 500),
        ...(retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter }),
      })
    }
    return connectionError(target, cause)
  }
