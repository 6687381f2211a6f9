/**
 * The model services: TextModel (a prompt, or the code around the cursor, to text) and
 * ChatModel (a conversation to text), each answering whole or as a stream of chunks on the model
 * of a catalog entry. Both are one generic service over their kind of request: the request
 * becomes a provider call, Resilience wraps it (resilience.ts), and every call is measured
 * (callMetrics.ts), mocks included, so dashboards and access logs show what was called. With
 * `mockModelResponses` on, every model is the echoing mock.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { AppConfig } from "../config/AppConfig.ts"
import { Metrics, type MetricsShape } from "../observability/Metrics.ts"
import { measureCall, measureStream } from "./callMetrics.ts"
import type { ModelEntry } from "./catalog.ts"
import { mockChatIdentity, mockProvider, mockTextIdentity } from "./mock/provider.ts"
import { messagesPrompt } from "./prompt.ts"
import type { Provider, ProviderCall } from "./Provider.ts"
import { Providers } from "./Providers.ts"
import { Resilience, resilientProviders } from "./resilience.ts"
import type { ChatRequest, ModelIdentity, ModelShape, TextRequest } from "./types.ts"

/** How one kind of request becomes a provider call and what it costs. */
interface RequestKind<Request> {
  readonly toCall: (request: Request) => ProviderCall
  readonly featureCategory: (request: Request) => string
  /** Characters sent, for the cost counter. */
  readonly promptCharacters: (request: Request) => number
  readonly mockIdentity: ModelIdentity
}

const textKind: RequestKind<TextRequest> = {
  toCall: (request) => ({
    entry: request.model,
    prompt: { _tag: "Text", prefix: request.prefix, suffix: request.suffix },
    parameters: request.parameters,
  }),
  featureCategory: () => "code_suggestions",
  promptCharacters: (request) => request.prefix.length + (request.suffix?.length ?? 0),
  mockIdentity: mockTextIdentity,
}

const chatKind: RequestKind<ChatRequest> = {
  toCall: (request) => ({
    entry: request.model,
    // A string prompt stays text: `text-completions` models take it as is, others convert it.
    prompt: typeof request.messages === "string"
      ? { _tag: "Text", prefix: request.messages }
      : messagesPrompt(request.messages),
    parameters: request.parameters,
  }),
  featureCategory: (request) => request.featureCategory ?? "duo_chat",
  promptCharacters: (request) =>
    typeof request.messages === "string"
      ? request.messages.length
      : request.messages.reduce((total, message) => total + message.content.length, 0),
  mockIdentity: mockChatIdentity,
}

const catalogIdentity = (model: ModelEntry): ModelIdentity => ({ engine: model.provider, name: model.name })

/** A model service over `provider` (the mock, or the catalog entry's provider in Resilience). */
export const makeModel = <Request>(
  kind: RequestKind<Request>,
  provider: Provider,
  identify: (model: ModelEntry) => ModelIdentity,
  metrics: MetricsShape,
): ModelShape<Request> => {
  const measured = (request: Request, call: ProviderCall) => ({
    model: identify(call.entry),
    featureCategory: kind.featureCategory(request),
    promptCharacters: kind.promptCharacters(request),
  })
  return {
    generate: (request) => {
      const call = kind.toCall(request)
      const measure = measured(request, call)
      return measureCall(
        metrics,
        measure,
        Effect.map(provider.generate(call), (text) => ({ ...measure.model, text })),
      )
    },
    stream: (request) => {
      const call = kind.toCall(request)
      return measureStream(metrics, measured(request, call), provider.stream(call))
    },
    identify,
  }
}

const modelLayer = <Self, Request>(
  tag: Context.Service<Self, ModelShape<Request>>,
  kind: RequestKind<Request>,
) =>
  Layer.effect(
    tag,
    Effect.gen(function* () {
      const config = yield* AppConfig
      const metrics = yield* Metrics
      if (config.mockModelResponses) return makeModel(kind, mockProvider, () => kind.mockIdentity, metrics)
      const provider = resilientProviders(yield* Providers, yield* Resilience)
      return makeModel(kind, provider, catalogIdentity, metrics)
    }),
  )

/** The echoing mock whatever the configuration, measured like every model (service tests). */
const mockLayer = <Self, Request>(
  tag: Context.Service<Self, ModelShape<Request>>,
  kind: RequestKind<Request>,
) =>
  Layer.effect(
    tag,
    Effect.map(Effect.service(Metrics), (metrics) =>
      makeModel(kind, mockProvider, () => kind.mockIdentity, metrics)),
  )

export class TextModel
  extends Context.Service<TextModel, ModelShape<TextRequest>>()("aigw/models/TextModel") {
  /** Requires AppConfig, Metrics, Providers and Resilience. */
  static readonly layer = modelLayer(TextModel, textKind)
  /** Requires Metrics. */
  static readonly layerMock = mockLayer(TextModel, textKind)
}

export class ChatModel
  extends Context.Service<ChatModel, ModelShape<ChatRequest>>()("aigw/models/ChatModel") {
  /** Requires AppConfig, Metrics, Providers and Resilience. */
  static readonly layer = modelLayer(ChatModel, chatKind)
  /** Requires Metrics. */
  static readonly layerMock = mockLayer(ChatModel, chatKind)
}
