/**
 * The built-in catalog: every model name GitLab 16.9–17.x sends, pointed at a current model over
 * a current API, so a fresh install works with a real Anthropic key or Vertex project. The
 * upstream ids were looked up in the providers' model documentation; docs/models.md lists them
 * with the date of that lookup. A catalog file (`AIGW_MODELS__CATALOG_FILE`) overrides any entry,
 * including pointing a name back at a legacy API.
 */
import type { CatalogDefaults, ModelEntry } from "./catalog.ts"

/** Anthropic's current Sonnet and Haiku (model pages of Claude Sonnet 5.5 and Claude Haiku 5.5). */
export const currentClaude = { sonnet: "claude-sonnet-5-5", haiku: "claude-haiku-5-5" } as const
/** Codestral 2 on Vertex AI (partner model `codestral-2`, publisher `mistralai`). */
export const currentCodestral = "codestral-2"
/** Gemini on Vertex AI: the latest stable Flash model. */
export const currentGemini = "gemini-3.5-flash"

const claudeUseCases: ModelEntry["useCases"] = ["completion", "generation", "chat"]

/**
 * A Claude name on a current model over the Messages API. Current models refuse sampling
 * parameters and prefills (400), so neither is sent; their window is 1M tokens, aigw's prompt
 * budget stays at the 200k the names always had.
 */
const claude = (name: string, upstream: string): ModelEntry => ({
  name,
  provider: "anthropic",
  upstream,
  api: "messages",
  useCases: claudeUseCases,
  contextTokens: 200_000,
  parameters: { maxTokens: 2048 },
  samplingParameters: false,
  prefill: false,
})

/** Code completion: Codestral fill in the middle over `:rawPredict`. */
const codestral = (name: string): ModelEntry => ({
  name,
  provider: "vertex-ai",
  upstream: currentCodestral,
  api: "raw-predict",
  publisher: "mistralai",
  useCases: ["completion"],
  contextTokens: 8192,
  parameters: { temperature: 0.2, maxTokens: 64, topP: 0.95 },
})

/** Code generation: Gemini through `generateContent`. */
const gemini = (name: string): ModelEntry => ({
  name,
  provider: "vertex-ai",
  upstream: currentGemini,
  api: "gemini",
  useCases: ["generation"],
  contextTokens: 32_768,
  parameters: { temperature: 0.2, maxTokens: 2048, topP: 0.95, topK: 40 },
})

/** The Claude names clients send (April 2024 and GitLab 17.x), and the current ids themselves. */
const claudeNames: ReadonlyArray<readonly [name: string, upstream: string]> = [
  ["claude-instant-1.1", currentClaude.haiku],
  ["claude-instant-1.2", currentClaude.haiku],
  ["claude-3-haiku-20240307", currentClaude.haiku],
  ["claude-3-5-haiku-20241022", currentClaude.haiku],
  ["claude-2.0", currentClaude.sonnet],
  ["claude-2.1", currentClaude.sonnet],
  ["claude-3-opus-20240229", currentClaude.sonnet],
  ["claude-3-sonnet-20240229", currentClaude.sonnet],
  ["claude-3-5-sonnet-20240620", currentClaude.sonnet],
  ["claude-3-5-sonnet-20241022", currentClaude.sonnet],
  ["claude-3-7-sonnet-20250219", currentClaude.sonnet],
  ["claude-sonnet-4-20250514", currentClaude.sonnet],
  [currentClaude.sonnet, currentClaude.sonnet],
  [currentClaude.haiku, currentClaude.haiku],
]

export const builtinModels: ReadonlyArray<ModelEntry> = [
  codestral("code-gecko@002"),
  codestral("codestral@2405"),
  gemini("code-bison@002"),
  gemini("text-bison@002"),
  ...claudeNames.map(([name, upstream]) => claude(name, upstream)),
]

export const builtinDefaults: CatalogDefaults = {
  anthropic: { completion: "claude-instant-1.2", generation: "claude-2.0", chat: "claude-2.0" },
  "vertex-ai": { completion: "code-gecko@002", generation: "code-bison@002" },
  "openai-compatible": {},
}
