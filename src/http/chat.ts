/**
 * Handlers of the Duo Chat and X-Ray routes: bodies to use case inputs; model failures to the
 * statuses GitLab expects (errors.ts `upstreamErrorResponse`); unknown models to 422.
 */
import { Clock, Effect } from "effect"
import { HttpServerResponse } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { ChatAgent, type ChatInput, type UnknownChatModel } from "../chat/ChatAgent.ts"
import type { ModelError } from "../models/errors.ts"
import { XRay } from "../xray/XRay.ts"
import { Api } from "./api.ts"
import { invalidFieldResponse, upstreamErrorResponse } from "./errors.ts"
import { streamOrFallback } from "./streamResponse.ts"
import type { ChatPayload, ChatResponse } from "./v1Chat.ts"

const undefinedIfNull = <A>(value: A | null | undefined): A | undefined => value ?? undefined

const chatInput = (payload: ChatPayload): ChatInput => ({
  content: payload.content,
  provider: undefinedIfNull(payload.provider),
  model: undefinedIfNull(payload.model),
  parameters: {
    temperature: undefinedIfNull(payload.params?.temperature),
    maxTokens: undefinedIfNull(payload.params?.max_tokens_to_sample),
    stopSequences: undefinedIfNull(payload.params?.stop_sequences),
    topK: undefinedIfNull(payload.params?.top_k),
    topP: undefinedIfNull(payload.params?.top_p),
  },
})

/** Where the model sits in a chat body, for 422 locations. */
const modelField = ["prompt_components", 0, "payload", "model"]

const answerFailure = (error: UnknownChatModel | ModelError) =>
  Effect.succeed(
    error._tag === "UnknownChatModel"
      ? invalidFieldResponse(modelField, error.message)
      : upstreamErrorResponse(error),
  )

export const ChatHandlers = HttpApiBuilder.group(
  Api,
  "chat",
  Effect.fn(function* (handlers) {
    const agent = yield* ChatAgent
    return handlers.handleAll({
      agent: ({ payload }) => {
        const input = chatInput(payload.prompt_components[0]!.payload)
        if (payload.stream === true) {
          return agent.stream(input).pipe(
            Effect.flatMap(({ chunks }) =>
              streamOrFallback(chunks, (error) => Effect.succeed(upstreamErrorResponse(error)))
            ),
            Effect.catch(answerFailure),
          )
        }
        return agent.answer(input).pipe(
          Effect.flatMap(({ provider, model, text }) =>
            Effect.map(Clock.currentTimeMillis, (millis): HttpServerResponse.HttpServerResponse => {
              const body: ChatResponse = {
                response: text,
                metadata: { provider, model, timestamp: Math.floor(millis / 1000) },
              }
              return HttpServerResponse.jsonUnsafe(body)
            })
          ),
          Effect.catch(answerFailure),
        )
      },
    })
  }),
)

export const XRayHandlers = HttpApiBuilder.group(
  Api,
  "xray",
  Effect.fn(function* (handlers) {
    const xray = yield* XRay
    return handlers.handleAll({
      libraries: ({ payload }) => {
        const component = payload.prompt_components[0]!
        return xray.libraries({ prompt: component.payload.prompt, model: component.payload.model }).pipe(
          Effect.map((text) => HttpServerResponse.jsonUnsafe({ response: text })),
          Effect.catch(answerFailure),
        )
      },
    })
  }),
)
