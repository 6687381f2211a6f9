/**
 * A catalog file that points every April-2024 name back at the upstream model and API the
 * original gateway used: Vertex `:predict` (code-gecko, code-bison, text-bison), the legacy
 * Anthropic Text Completions API (claude-instant, claude-2) and Claude 3 over the Messages API
 * with sampling parameters and prefills. The built-in catalog no longer sends anything there;
 * tests of those code paths load this file, as an operator with such models would.
 */
import { writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const predict = (contextTokens: number, maxTokens: number) => ({
  api: "predict",
  contextTokens,
  parameters: { temperature: 0.2, maxTokens, topP: 0.95, topK: 40 },
})

const textCompletions = (contextTokens: number) => ({
  api: "text-completions",
  contextTokens,
  parameters: { temperature: 0.2, maxTokens: 2048 },
  stopSequences: ["\n\nHuman:"],
  samplingParameters: true,
  prefill: true,
})

const claude3 = {
  api: "messages",
  contextTokens: 200_000,
  parameters: { temperature: 0.2, maxTokens: 2048 },
  samplingParameters: true,
  prefill: true,
}

const legacyModels: Record<string, Record<string, unknown>> = {
  "code-gecko@002": { upstream: "code-gecko@002", ...predict(2048, 32) },
  "code-bison@002": { upstream: "code-bison@002", ...predict(4096, 2048) },
  "text-bison@002": { upstream: "text-bison@002", ...predict(8192, 2048) },
  "claude-instant-1.1": { upstream: "claude-instant-1.1", ...textCompletions(100_000) },
  "claude-instant-1.2": { upstream: "claude-instant-1.2", ...textCompletions(100_000) },
  "claude-2.0": { upstream: "claude-2.0", ...textCompletions(100_000) },
  "claude-2.1": { upstream: "claude-2.1", ...textCompletions(200_000) },
  "claude-3-opus-20240229": { upstream: "claude-3-opus-20240229", ...claude3 },
  "claude-3-sonnet-20240229": { upstream: "claude-3-sonnet-20240229", ...claude3 },
  "claude-3-haiku-20240307": { upstream: "claude-3-haiku-20240307", ...claude3 },
}

/** The legacy catalog, with `models` merged over it per name. */
export const legacyCatalogWith = (models: Record<string, Record<string, unknown>> = {}) => ({
  models: Object.fromEntries(
    [...new Set([...Object.keys(legacyModels), ...Object.keys(models)])].map((name) => [
      name,
      { ...legacyModels[name], ...models[name] },
    ]),
  ),
})

export const legacyCatalog = legacyCatalogWith()

/** The legacy catalog written to a temporary JSON file, for `AIGW_MODELS__CATALOG_FILE`. */
export const legacyCatalogFile = (): string => {
  const file = join(tmpdir(), `aigw-legacy-catalog-${process.pid}.json`)
  writeFileSync(file, JSON.stringify(legacyCatalog))
  return file
}
