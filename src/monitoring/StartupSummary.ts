/**
 * What an administrator reads first: one line naming the mode, the docs and metrics addresses
 * and the providers configured, then one line per use case naming its default model, the model
 * id sent upstream, its provider and whether that provider is configured. In production a default
 * whose provider is not configured is a warning naming the variable to set.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { AppConfigShape } from "../config/AppConfig.ts"
import {
  ModelCatalog,
  type ModelCatalogShape,
  type ProviderName,
  type UseCase,
  useCases,
} from "../models/catalog.ts"
import { defaultProvider as suggestionProvider } from "../suggestions/Preparation.ts"

export type StartMode = "development" | "production"

/** The provider a request without `model_provider` / `provider` goes to, per use case. */
const defaultProviderOf: Record<UseCase, ProviderName> = {
  completion: suggestionProvider,
  generation: suggestionProvider,
  chat: "anthropic",
}

/** The variable that configures a provider, for the warning. */
const providerVariable: Record<ProviderName, string> = {
  anthropic: "ANTHROPIC_API_KEY",
  "vertex-ai": "AIGW_VERTEX_TEXT_MODEL__PROJECT",
  "openai-compatible": "the model's baseUrl in AIGW_MODELS__CATALOG_FILE",
}

const providerConfigured = (config: AppConfigShape, provider: ProviderName, baseUrl?: string): boolean => {
  switch (provider) {
    case "anthropic":
      return config.anthropic.apiKey !== undefined
    case "vertex-ai":
      return config.vertexTextModel.project !== undefined
    case "openai-compatible":
      return baseUrl !== undefined
  }
}

export interface SummaryLine {
  readonly level: "info" | "warning"
  readonly event: string
  readonly fields: Readonly<Record<string, unknown>>
}

const address = (host: string, port: number) =>
  `http://${host === "0.0.0.0" || host === "::" ? "localhost" : host}:${port}`

/** The start-up lines, computed from the configuration and the catalog (no effects). */
export const startupSummary = (
  mode: StartMode,
  config: AppConfigShape,
  catalog: Pick<ModelCatalogShape, "defaults" | "models">,
): ReadonlyArray<SummaryLine> => {
  const { apiHost, apiPort, metricsHost, metricsPort, docsUrl, openapiUrl } = config.fastapi
  const api = address(apiHost, apiPort)
  const configured = (["anthropic", "vertex-ai"] as const).filter((p) => providerConfigured(config, p))
  const models = config.mockModelResponses ? "mock" : configured.length === 0 ? "none" : configured.join(", ")
  const lines: Array<SummaryLine> = [{
    level: "info",
    event: `aigw ${mode} mode on ${api}: docs ${docsUrl === undefined ? "off" : api + docsUrl}, metrics ${
      address(metricsHost, metricsPort)
    }/metrics, providers configured: ${models}${config.auth.bypassExternal ? ", auth bypassed" : ""}`,
    fields: {
      logger: "aigw.start",
      mode,
      docs_url: docsUrl ?? null,
      openapi_url: openapiUrl ?? null,
      metrics_port: metricsPort,
      providers_configured: configured,
      mock_models: config.mockModelResponses,
      auth_bypassed: config.auth.bypassExternal,
    },
  }]
  for (const useCase of useCases) {
    const provider = defaultProviderOf[useCase]
    const name = catalog.defaults[provider][useCase]
    const entry = name === undefined ? undefined : catalog.models.get(name)
    const ready = config.mockModelResponses || providerConfigured(config, provider, entry?.baseUrl)
    const state = config.mockModelResponses ? "mocked" : ready ? "configured" : "not configured"
    const fields = {
      logger: "aigw.start",
      use_case: useCase,
      model: name ?? null,
      upstream: entry?.upstream ?? null,
      provider,
      provider_configured: ready,
    }
    lines.push({
      level: "info",
      event: `${useCase}: default model ${name ?? "(none)"} (upstream ${
        entry?.upstream ?? "-"
      }) on ${provider}, ${state}`,
      fields,
    })
    if (!ready && mode === "production") {
      lines.push({
        level: "warning",
        event: `${useCase} requests without a model go to ${provider}, which is not configured: set ${
          providerVariable[provider]
        }`,
        fields: { ...fields, variable: providerVariable[provider] },
      })
    }
  }
  return lines
}

/** Logs the summary once, when the adapters start (requires AppConfig and ModelCatalog). */
export const logStartupSummary = (mode: StartMode, config: AppConfigShape) =>
  Effect.flatMap(
    Effect.service(ModelCatalog),
    (catalog) =>
      Effect.forEach(startupSummary(mode, config, catalog), (line) =>
        line.level === "warning"
          ? Effect.logWarning(line.event, line.fields)
          : Effect.logInfo(line.event, line.fields), { discard: true }),
  )

/** The summary as a layer beside the servers (Node). */
export const layer = (mode: StartMode, config: AppConfigShape) =>
  Layer.effectDiscard(logStartupSummary(mode, config)).pipe(Layer.provide(ModelCatalog.layer))
