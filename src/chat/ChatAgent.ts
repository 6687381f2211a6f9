/**
 * ChatAgent: Duo Chat's model call (SPEC §4.1). The content is a `\n\nHuman: … \n\nAssistant:`
 * string (sent to the text API, or converted to messages for models that only take messages) or
 * a list of messages (`system` → system prompt, a trailing assistant message → prefill). The
 * model is the one the request names — checked against the catalog's chat models — else
 * `claude-2.0`. Parameters the request gives are passed through as they are (explicit zeros
 * included); absent ones take the chat defaults.
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Stream from "effect/Stream"
import { ModelCatalog, type ProviderName } from "../models/catalog.ts"
import type { ModelError } from "../models/errors.ts"
import type { ChatMessage } from "../models/prompt.ts"
import type { ModelIdentity } from "../models/types.ts"
import { ChatModel } from "../models/modelCall.ts"

export interface ChatParameters {
  readonly temperature?: number | undefined
  readonly maxTokens?: number | undefined
  readonly stopSequences?: ReadonlyArray<string> | undefined
  readonly topK?: number | undefined
  readonly topP?: number | undefined
}

export interface ChatInput {
  readonly content: string | ReadonlyArray<ChatMessage>
  readonly provider: ProviderName | undefined
  readonly model: string | undefined
  readonly parameters: ChatParameters
}

/** The chat defaults of SPEC §4.1, for what the request leaves out. */
export const chatDefaults = {
  temperature: 0.2,
  maxTokens: 2048,
  stopSequences: ["\n\nHuman", "Observation:"],
} as const

/** The request names a model the catalog has no chat model for (answered 422). */
export class UnknownChatModel extends Data.TaggedError("UnknownChatModel")<{
  readonly field: ReadonlyArray<string | number>
  readonly message: string
}> {}

export class ChatAgent extends Context.Service<ChatAgent, {
  readonly answer: (
    input: ChatInput,
  ) => Effect.Effect<{ readonly model: ModelIdentity; readonly text: string }, UnknownChatModel | ModelError>
  readonly stream: (
    input: ChatInput,
  ) => Effect.Effect<
    { readonly model: ModelIdentity; readonly chunks: Stream.Stream<string, ModelError> },
    UnknownChatModel
  >
}>()("aigw/chat/ChatAgent") {
  static readonly layer = Layer.effect(
    ChatAgent,
    Effect.gen(function* () {
      const catalog = yield* ModelCatalog
      const chatModel = yield* ChatModel

      const toUnknownChatModel = (error: { readonly message: string }) =>
        new UnknownChatModel({ field: ["model"], message: error.message })

      const prepare = (input: ChatInput) =>
        Effect.map(
          Effect.mapError(
            catalog.resolve(input.provider ?? "anthropic", "chat", input.model),
            toUnknownChatModel,
          ),
          (entry) => {
            const request = {
              model: entry,
              messages: input.content,
              parameters: {
                temperature: input.parameters.temperature ?? chatDefaults.temperature,
                maxTokens: input.parameters.maxTokens ?? chatDefaults.maxTokens,
                stopSequences: input.parameters.stopSequences ?? chatDefaults.stopSequences,
                ...(input.parameters.topK === undefined ? {} : { topK: input.parameters.topK }),
                ...(input.parameters.topP === undefined ? {} : { topP: input.parameters.topP }),
              },
            }
            // Metadata reports the name asked for (an operator may have pointed it elsewhere).
            return { request, model: chatModel.identify(entry) }
          },
        )

      return ChatAgent.of({
        answer: (input) =>
          Effect.flatMap(
            prepare(input),
            ({ request, model }) => Effect.map(chatModel.generate(request), ({ text }) => ({ model, text })),
          ),
        stream: (input) =>
          Effect.map(
            prepare(input),
            ({ request, model }) => ({ model, chunks: chatModel.stream(request) }),
          ),
      })
    }),
  )
}
