/**
 * The models the original gateway accepted, as it configured them. Their upstream models are
 * mostly retired; an operator points these names at current models with a catalog file
 * (`AIGW_MODELS__CATALOG_FILE`, see docs/models.md) while clients keep sending the old names.
 */
import type { CatalogDefaults, ModelEntry } from "./catalog.ts"

const anthropicParameters = { temperature: 0.2, maxTokens: 2048 }
/** The legacy Text Completions API ends a turn at the next human turn. */
const humanTurn = ["\n\nHuman:"]

const vertexPredictParameters = (maxTokens: number) => ({ temperature: 0.2, maxTokens, topP: 0.95, topK: 40 })

const claude = (
  name: string,
  api: "messages" | "text-completions",
  contextTokens: number,
  useCases: ModelEntry["useCases"],
): ModelEntry => ({
  name,
  provider: "anthropic",
  upstream: name,
  api,
  useCases,
  contextTokens,
  parameters: anthropicParameters,
  ...(api === "text-completions" ? { stopSequences: humanTurn } : {}),
})

export const builtinModels: ReadonlyArray<ModelEntry> = [
  {
    name: "code-gecko@002",
    provider: "vertex-ai",
    upstream: "code-gecko@002",
    api: "predict",
    useCases: ["completion"],
    contextTokens: 2048,
    parameters: vertexPredictParameters(32),
  },
  {
    name: "code-bison@002",
    provider: "vertex-ai",
    upstream: "code-bison@002",
    api: "predict",
    useCases: ["generation"],
    contextTokens: 4096,
    parameters: vertexPredictParameters(2048),
  },
  {
    name: "text-bison@002",
    provider: "vertex-ai",
    upstream: "text-bison@002",
    api: "predict",
    useCases: ["generation"],
    contextTokens: 8192,
    parameters: vertexPredictParameters(2048),
  },
  claude("claude-instant-1.1", "text-completions", 100_000, ["completion", "chat"]),
  claude("claude-instant-1.2", "text-completions", 100_000, ["completion", "chat"]),
  claude("claude-2.0", "text-completions", 100_000, ["generation", "chat"]),
  claude("claude-2.1", "text-completions", 200_000, ["generation", "chat"]),
  claude("claude-3-opus-20240229", "messages", 200_000, ["generation", "chat"]),
  claude("claude-3-sonnet-20240229", "messages", 200_000, ["generation", "chat"]),
  claude("claude-3-haiku-20240307", "messages", 200_000, ["generation", "chat"]),
]

export const builtinDefaults: CatalogDefaults = {
  anthropic: { completion: "claude-instant-1.2", generation: "claude-2.0", chat: "claude-2.0" },
  "vertex-ai": { completion: "code-gecko@002", generation: "code-bison@002" },
  "openai-compatible": {},
}
