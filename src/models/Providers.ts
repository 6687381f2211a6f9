/**
 * The real providers by name, for TextModel and ChatModel to dispatch on a catalog entry's
 * `provider`. Each is built once for the process (SDK clients, HTTP pools).
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { AnthropicProvider } from "./anthropic/provider.ts"
import type { ProviderName } from "./catalog.ts"
import { OpenAiProvider } from "./openai/provider.ts"
import type { Provider } from "./Provider.ts"
import { VertexProvider } from "./vertex/provider.ts"

export class Providers extends Context.Service<Providers, Readonly<Record<ProviderName, Provider>>>()(
  "aigw/models/Providers",
) {
  /** Requires AppConfig, an HttpClient and VertexCredentials. */
  static readonly layer = Layer.effect(
    Providers,
    Effect.gen(function* () {
      return Providers.of({
        anthropic: yield* AnthropicProvider,
        "vertex-ai": yield* VertexProvider,
        "openai-compatible": yield* OpenAiProvider,
      })
    }),
  ).pipe(Layer.provide(Layer.mergeAll(AnthropicProvider.layer, VertexProvider.layer, OpenAiProvider.layer)))
}
