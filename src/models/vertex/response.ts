/**
 * Vertex answers as text, or as `Blocked` when safety filters withheld them. The schemas read
 * only what is used and accept what the API leaves out: a prediction without `score` or
 * `safetyAttributes`, a Gemini chunk without candidates (usage only) or a part without text.
 */
import type { ApiError } from "@google/genai"
import * as Schema from "effect/Schema"
import { Blocked, type ModelError, UpstreamStatus } from "../errors.ts"
import { connectionError, type Target } from "../upstreamHttp.ts"

/** `safetyAttributes` is read as one object or a list of them. */
const SafetyAttribute = Schema.Struct({ blocked: Schema.optional(Schema.Boolean) })

const Prediction = Schema.Struct({
  content: Schema.optional(Schema.String),
  safetyAttributes: Schema.optional(Schema.Union([SafetyAttribute, Schema.Array(SafetyAttribute)])),
})

/** A `:predict` answer. */
export const PredictAnswer = Schema.Struct({ predictions: Schema.Array(Prediction) })

const isBlocked = (attributes: typeof Prediction.Type["safetyAttributes"]): boolean =>
  (Array.isArray(attributes) ? attributes : [attributes]).some((entry) => entry?.blocked === true)

/** The first prediction's text; `Blocked` when its safety attributes say so. */
export const predictText = (target: Target, answer: typeof PredictAnswer.Type): string | Blocked => {
  const first = answer.predictions[0]
  if (first === undefined) return ""
  if (isBlocked(first.safetyAttributes)) return new Blocked({ ...target, detail: "safetyAttributes.blocked" })
  return first.content ?? ""
}

const Part = Schema.Struct({
  text: Schema.optional(Schema.String),
  thought: Schema.optional(Schema.Boolean),
})

const Candidate = Schema.Struct({
  finishReason: Schema.optional(Schema.String),
  content: Schema.optional(Schema.Struct({ parts: Schema.optional(Schema.Array(Part)) })),
})

/** A Gemini answer or stream chunk, as @google/genai parsed it. */
export const GeminiAnswer = Schema.Struct({
  promptFeedback: Schema.optional(Schema.Struct({ blockReason: Schema.optional(Schema.String) })),
  candidates: Schema.optional(Schema.Array(Candidate)),
})

const blockingFinishReasons = new Set(["SAFETY", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY"])

/** One Gemini answer (or stream chunk): its text and whether it ends the answer, or `Blocked`. */
export const geminiStep = (target: Target, answer: typeof GeminiAnswer.Type) => {
  const blockReason = answer.promptFeedback?.blockReason
  if (blockReason !== undefined) return new Blocked({ ...target, detail: `prompt blocked: ${blockReason}` })
  const candidate = answer.candidates?.[0]
  const finish = candidate?.finishReason
  if (finish !== undefined && blockingFinishReasons.has(finish)) {
    return new Blocked({ ...target, detail: `answer blocked: ${finish}` })
  }
  const text = (candidate?.content?.parts ?? [])
    .map((part) => part.thought === true || part.text === undefined ? "" : part.text)
    .join("")
  return { text, end: finish !== undefined }
}

/** A genai failure as a model error; `apiError` is the SDK's class, which it loads lazily. */
export const fromGenAiError = (
  target: Target,
  retryAfterSeconds: () => number | undefined,
  apiError: typeof ApiError,
) =>
(cause: unknown): ModelError => {
  if (cause instanceof apiError) {
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
