/**
 * Handlers of the Duo Chat API (v1Chat.ts): bodies to ChatAgent inputs; model failures to the
 * statuses GitLab expects and unknown models to 422 (errors.ts `chatFailureResponse`).
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as HttpApiBuilder from "effect/http-api/HttpApiBuilder"
import { ChatAgent, type ChatInput } from "../chat/ChatAgent.ts"
import { undefinedIfNull } from "../schema/Nullable.ts"
import { Api } from "./api.ts"
import { chatFailureResponse, upstreamErrorResponse } from "./errors.ts"
import { streamOrFallback } from "./streamResponse.ts"
import type { ChatPayload, ChatResponse } from "./v1Chat.ts"

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

const answerFailure = (error: Parameters<typeof chatFailureResponse>[0]) =>
  Effect.succeed(chatFailureResponse(error))

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
          Effect.flatMap(({ model, text }) =>
            Effect.map(Clock.currentTimeMillis, (millis): HttpServerResponse.HttpServerResponse => {
              const body: ChatResponse = {
                response: text,
                metadata: { provider: model.engine, model: model.name, timestamp: Math.floor(millis / 1000) },
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
