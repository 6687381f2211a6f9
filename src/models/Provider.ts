/**
 * The contract every provider folder implements: one call to one upstream model, as a single
 * answer or as a stream of text chunks, failing with `ModelError`s. Providers do not retry,
 * time out or limit concurrency themselves — `Resilience` wraps them all the same way.
 */
import type * as Effect from "effect/Effect"
import type * as Stream from "effect/Stream"
import type { ModelEntry } from "./catalog.ts"
import type { ModelError } from "./errors.ts"
import type { GenerationParameters } from "./parameters.ts"
import type { Prompt } from "./prompt.ts"

export interface ProviderCall {
  readonly entry: ModelEntry
  readonly prompt: Prompt
  /** As the caller gave them; the provider resolves them against the entry and its defaults. */
  readonly parameters: GenerationParameters | undefined
}

export interface Provider {
  readonly generate: (call: ProviderCall) => Effect.Effect<string, ModelError>
  readonly stream: (call: ProviderCall) => Stream.Stream<string, ModelError>
}
