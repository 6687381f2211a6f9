/**
 * TextModel: a prompt, or the code before and after the cursor, to text — as one answer or as a
 * stream of chunks — on the model of a catalog entry, with `Resilience` around every call.
 * With `mockModelResponses` on, every model is the echoing mock (`llm-provider-mocked`).
 */
import { Context, Effect, Layer, type Stream } from "effect"
import { AppConfig } from "../config/AppConfig.ts"
import { Metrics } from "../observability/Metrics.ts"
import type { ModelEntry } from "./catalog.ts"
import type { ModelError } from "./errors.ts"
import { instrumentTextModel } from "./instrumented.ts"
import { mockProvider, mockTextIdentity } from "./mock/provider.ts"
import type { GenerationParameters } from "./parameters.ts"
import type { Provider, ProviderCall } from "./Provider.ts"
import { Providers } from "./Providers.ts"
import { Resilience, type ResilienceShape } from "./resilience.ts"

export interface TextRequest {
  /** From `ModelCatalog.resolve`. */
  readonly model: ModelEntry
  /** The prompt, or the code before the cursor. */
  readonly prefix: string
  /** The code after the cursor (fill-in-the-middle models). */
  readonly suffix?: string | undefined
  /** Overrides of the entry's defaults; explicit zeros and empty lists are kept. */
  readonly parameters?: GenerationParameters | undefined
}

/** The engine and name to report (metadata, logs, metrics). */
export interface ModelIdentity {
  readonly engine: string
  readonly name: string
}

export interface TextResult extends ModelIdentity {
  readonly text: string
}

export interface TextModelShape {
  readonly generate: (request: TextRequest) => Effect.Effect<TextResult, ModelError>
  /** Chunks as the upstream sends them; a failure after the first chunk fails the stream. */
  readonly stream: (request: TextRequest) => Stream.Stream<string, ModelError>
  readonly identify: (model: ModelEntry) => ModelIdentity
}

const toCall = (request: TextRequest): ProviderCall => ({
  entry: request.model,
  prompt: { _tag: "Text", prefix: request.prefix, suffix: request.suffix },
  parameters: request.parameters,
})

/** Dispatch on the entry's provider, inside `Resilience`; shared with ChatModel. */
export const resilientCalls = (
  providers: Readonly<Record<string, Provider>>,
  resilience: ResilienceShape,
) => {
  const target = (entry: ModelEntry) => ({
    engine: entry.provider,
    model: entry.name,
    timeout: entry.timeoutSeconds === undefined ? undefined : entry.timeoutSeconds * 1000,
  })
  return {
    generate: (call: ProviderCall) =>
      resilience.call(target(call.entry), providers[call.entry.provider]!.generate(call)),
    stream: (call: ProviderCall) =>
      resilience.stream(target(call.entry), providers[call.entry.provider]!.stream(call)),
  }
}

const realIdentity = (model: ModelEntry): ModelIdentity => ({ engine: model.provider, name: model.name })

export const makeMockTextModel = (): TextModelShape => ({
  generate: (request) =>
    Effect.map(mockProvider.generate(toCall(request)), (text) => ({ ...mockTextIdentity, text })),
  stream: (request) => mockProvider.stream(toCall(request)),
  identify: () => mockTextIdentity,
})

export class TextModel extends Context.Service<TextModel, TextModelShape>()("aigw/models/TextModel") {
  /** Requires AppConfig, Metrics, Providers and Resilience. */
  static readonly layer = Layer.effect(
    TextModel,
    Effect.gen(function* () {
      const config = yield* AppConfig
      const metrics = yield* Metrics
      if (config.mockModelResponses) return TextModel.of(instrumentTextModel(makeMockTextModel(), metrics))
      const calls = resilientCalls(yield* Providers, yield* Resilience)
      return TextModel.of(instrumentTextModel({
        generate: (request) =>
          Effect.map(calls.generate(toCall(request)), (text) => ({ ...realIdentity(request.model), text })),
        stream: (request) => calls.stream(toCall(request)),
        identify: realIdentity,
      }, metrics))
    }),
  )

  /** The echoing mock, with no requirements (service tests of later use cases). */
  static readonly layerMock = Layer.succeed(TextModel, TextModel.of(makeMockTextModel()))
}
