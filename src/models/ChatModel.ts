/**
 * ChatModel: a conversation to text — as one answer or a stream — on the model of a catalog
 * entry, with `Resilience` around every call. Messages: `system` becomes the system prompt, a
 * trailing `assistant` message is a prefill the answer continues. A string is a
 * `\n\nHuman: … \n\nAssistant:` prompt (legacy chat bodies). With `mockModelResponses` on, every
 * model is the echoing mock (`chat-model-provider-mocked`).
 */
import { Context, Effect, Layer, type Stream } from "effect"
import { AppConfig } from "../config/AppConfig.ts"
import { Metrics } from "../observability/Metrics.ts"
import type { ModelEntry } from "./catalog.ts"
import type { ModelError } from "./errors.ts"
import { instrumentChatModel } from "./instrumented.ts"
import { mockChatIdentity, mockProvider } from "./mock/provider.ts"
import type { GenerationParameters } from "./parameters.ts"
import { type ChatMessage, messagesPrompt } from "./prompt.ts"
import type { ProviderCall } from "./Provider.ts"
import { Providers } from "./Providers.ts"
import { Resilience } from "./resilience.ts"
import { type ModelIdentity, resilientCalls, type TextResult } from "./TextModel.ts"

export interface ChatRequest {
  /** From `ModelCatalog.resolve`. */
  readonly model: ModelEntry
  readonly messages: string | ReadonlyArray<ChatMessage>
  readonly parameters?: GenerationParameters | undefined
  /** For the cost metric: `duo_chat` unless a code suggestion route asks through messages. */
  readonly featureCategory?: string | undefined
}

export interface ChatModelShape {
  readonly generate: (request: ChatRequest) => Effect.Effect<TextResult, ModelError>
  /** Chunks as the upstream sends them; a failure after the first chunk fails the stream. */
  readonly stream: (request: ChatRequest) => Stream.Stream<string, ModelError>
  readonly identify: (model: ModelEntry) => ModelIdentity
}

const toCall = (request: ChatRequest): ProviderCall => ({
  entry: request.model,
  // A string prompt stays text: `text-completions` models take it as is, others convert it.
  prompt: typeof request.messages === "string"
    ? { _tag: "Text", prefix: request.messages }
    : messagesPrompt(request.messages),
  parameters: request.parameters,
})

export const makeMockChatModel = (): ChatModelShape => ({
  generate: (request) =>
    Effect.map(mockProvider.generate(toCall(request)), (text) => ({ ...mockChatIdentity, text })),
  stream: (request) => mockProvider.stream(toCall(request)),
  identify: () => mockChatIdentity,
})

export class ChatModel extends Context.Service<ChatModel, ChatModelShape>()("aigw/models/ChatModel") {
  /** Requires AppConfig, Metrics, Providers and Resilience. */
  static readonly layer = Layer.effect(
    ChatModel,
    Effect.gen(function* () {
      const config = yield* AppConfig
      const metrics = yield* Metrics
      if (config.mockModelResponses) return ChatModel.of(instrumentChatModel(makeMockChatModel(), metrics))
      const calls = resilientCalls(yield* Providers, yield* Resilience)
      return ChatModel.of(instrumentChatModel({
        generate: (request) =>
          Effect.map(
            calls.generate(toCall(request)),
            (text) => ({ engine: request.model.provider, name: request.model.name, text }),
          ),
        stream: (request) => calls.stream(toCall(request)),
        identify: (model) => ({ engine: model.provider, name: model.name }),
      }, metrics))
    }),
  )

  /** The echoing mock, with no requirements. */
  static readonly layerMock = Layer.succeed(ChatModel, ChatModel.of(makeMockChatModel()))
}
