/**
 * Self-hosted models named by the request (GitLab Duo Self-Hosted, `model_provider: "litellm"`):
 * the request's endpoint, key and model id become an ad-hoc OpenAI-compatible catalog entry, so
 * the OpenAI-compatible provider calls it — completions at `{endpoint}/completions` (fill in the
 * middle), generations at `{endpoint}/chat/completions`.
 *
 * Guards: custom models are off unless configured; an endpoint outside the allow-list is
 * refused before any connection; the entry carries only the request's own key, never one of
 * the gateway's.
 */
import * as Redacted from "effect/Redacted"
import type { AppConfigShape } from "../config/AppConfig.ts"
import type { ModelEntry, UseCase } from "../models/catalog.ts"
import { InvalidSuggestionRequest } from "./Suggestion.ts"

/** The request-side provider name of self-hosted models. */
export const customModelProvider = "litellm"

/** The model names GitLab sends for self-hosted models. */
export const customModelNames = [
  "codegemma",
  "codellama",
  "codestral",
  "deepseekcoder",
  "mistral",
  "mixtral",
  "claude_3",
  "gpt",
  "qwen2p5-coder-7b",
] as const

/** What a request says about its self-hosted model. */
export interface CustomModelRequest {
  readonly endpoint: string | undefined
  readonly apiKey: Redacted.Redacted<string> | undefined
  readonly identifier: string | undefined
}

/** LiteLLM routing prefixes, which name LiteLLM's client and not the upstream model. */
const liteLlmPrefixes = ["custom_openai/", "openai/", "text-completion-openai/", "hosted_vllm/"]

export const upstreamModelId = (identifier: string | undefined, name: string): string => {
  const id = identifier === undefined || identifier.trim() === "" ? name : identifier
  const prefix = liteLlmPrefixes.find((candidate) => id.startsWith(candidate))
  return prefix === undefined ? id : id.slice(prefix.length)
}

/** Prompt budget of a self-hosted model: what the smallest common self-hosted code models take. */
export const customModelContextTokens = 8192

const invalid = (field: string, message: string) => new InvalidSuggestionRequest({ field: [field], message })

const withoutTrailingSlash = (path: string) => path.replace(/\/+$/, "")

/**
 * Whether `endpoint` is under `prefix`: same scheme, host and port, and a path equal to the
 * prefix's or below it at a segment boundary (so `/v1` does not admit `/v10`).
 */
export const isUnderPrefix = (endpoint: URL, prefix: URL): boolean => {
  if (endpoint.protocol !== prefix.protocol || endpoint.host !== prefix.host) return false
  if (endpoint.username !== "" || endpoint.password !== "") return false
  const base = withoutTrailingSlash(prefix.pathname)
  const path = withoutTrailingSlash(endpoint.pathname)
  return base === "" || path === base || path.startsWith(`${base}/`)
}

/** Checks the endpoint against the configuration; answers the parsed URL. */
export const checkEndpoint = (
  config: AppConfigShape["customModels"],
  endpoint: string | undefined,
): URL | InvalidSuggestionRequest => {
  if (endpoint === undefined || endpoint.trim() === "") {
    return invalid("model_endpoint", "model_provider litellm requires model_endpoint")
  }
  const url = URL.parse(endpoint.trim())
  if (url === null || (url.protocol !== "http:" && url.protocol !== "https:")) {
    return invalid("model_endpoint", "model_endpoint must be an http(s) URL")
  }
  if (url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
    return invalid("model_endpoint", "model_endpoint must not have credentials, a query or a fragment")
  }
  const allowed = config.allowedEndpoints
  if (allowed !== undefined && !allowed.some((prefix) => isUnderPrefix(url, prefix))) {
    return invalid("model_endpoint", "model_endpoint is not an allowed endpoint")
  }
  return url
}

/**
 * The entry for a request's self-hosted model, or why it cannot be served. Requests that are
 * not for `litellm` but name an endpoint or key are refused too: a catalog provider never goes to
 * a request-named address.
 */
export const resolveCustomModel = (
  config: AppConfigShape["customModels"],
  provider: string | undefined,
  modelName: string | undefined,
  request: CustomModelRequest,
  useCase: Extract<UseCase, "completion" | "generation">,
): ModelEntry | InvalidSuggestionRequest | undefined => {
  const namesCustom = provider === customModelProvider || request.endpoint !== undefined ||
    request.apiKey !== undefined
  if (!namesCustom) return undefined
  if (!config.enabled) return invalid("model_provider", "custom models are disabled")
  if (provider !== customModelProvider) {
    return invalid(
      "model_endpoint",
      "model_endpoint and model_api_key are only accepted with model_provider litellm",
    )
  }
  if (modelName === undefined || !(customModelNames as ReadonlyArray<string>).includes(modelName)) {
    return invalid(
      "model_name",
      `model_name must be one of ${customModelNames.join(", ")} for model_provider litellm`,
    )
  }
  const url = checkEndpoint(config, request.endpoint)
  if (url instanceof InvalidSuggestionRequest) return url
  return {
    name: modelName,
    provider: "openai-compatible",
    upstream: upstreamModelId(request.identifier, modelName),
    api: useCase === "completion" ? "completions" : "chat-completions",
    useCases: [useCase],
    contextTokens: customModelContextTokens,
    parameters: {},
    baseUrl: withoutTrailingSlash(url.href),
    ...(request.apiKey === undefined ? {} : { apiKey: request.apiKey }),
  }
}

export const redactedKey = (key: string | undefined) =>
  key === undefined || key === "" ? undefined : Redacted.make(key)
