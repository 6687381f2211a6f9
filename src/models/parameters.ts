/**
 * Sampling parameters of one call: what the request gave, else the catalog entry's default,
 * else the provider's. Only an absent value falls through — `temperature: 0`, `topK: 0` and an
 * empty stop list are explicit choices and reach the upstream (SPEC §11).
 */
import type { ModelEntry, ModelParameters } from "./catalog.ts"

export interface GenerationParameters extends ModelParameters {
  readonly stopSequences?: ReadonlyArray<string>
}

export interface ResolvedParameters {
  readonly temperature: number
  readonly maxTokens: number
  readonly topP: number | undefined
  readonly topK: number | undefined
  readonly stopSequences: ReadonlyArray<string> | undefined
}

export interface ProviderDefaults {
  readonly temperature: number
  readonly maxTokens: number
  readonly topP?: number
  readonly topK?: number
}

export const resolveParameters = (
  entry: ModelEntry,
  requested: GenerationParameters | undefined,
  defaults: ProviderDefaults,
): ResolvedParameters => ({
  temperature: requested?.temperature ?? entry.parameters.temperature ?? defaults.temperature,
  maxTokens: requested?.maxTokens ?? entry.parameters.maxTokens ?? defaults.maxTokens,
  topP: requested?.topP ?? entry.parameters.topP ?? defaults.topP,
  topK: requested?.topK ?? entry.parameters.topK ?? defaults.topK,
  stopSequences: requested?.stopSequences ?? entry.stopSequences,
})
