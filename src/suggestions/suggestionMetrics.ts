/**
 * What the code suggestion use cases count (SPEC §7): the language of each request, the symbols
 * tree-sitter found, experiment variants, prompt sizes per component, post-processing time, and
 * the client telemetry (body `telemetry` and `X-GitLab-CS-*` headers).
 */
import { Effect } from "effect"
import type { MetricsShape } from "../observability/Metrics.ts"
import { recordFacts } from "../observability/RequestFacts.ts"
import type { CodeContext } from "./codeContext.ts"
import type { ExperimentOutcome } from "./experiments.ts"
import { extensionOf, type Language } from "./language.ts"
import type { CompletionPrompt } from "./prompts/completion.ts"

const utf8 = new TextEncoder()

/** Counts the request's language and puts it on the access log line. */
export const countLanguage = (
  metrics: MetricsShape,
  fileName: string,
  editorLanguage: string | undefined,
  language: Language | undefined,
) =>
  Effect.andThen(
    Effect.sync(() =>
      metrics.promptLanguage.inc({
        lang: language?.id ?? "",
        extension: extensionOf(fileName),
        editor_lang: editorLanguage ?? "",
      })
    ),
    recordFacts({ lang: language?.id ?? "" }),
  )

export const countExperiment = (metrics: MetricsShape, outcome: ExperimentOutcome) =>
  Effect.sync(() => metrics.experiments.inc({ name: outcome.name, variant: String(outcome.variant) }))

/** Counts what tree-sitter found; returns the context unchanged. */
export const countDroppedSymbols = (
  metrics: MetricsShape,
  language: Language | undefined,
  context: CodeContext | undefined,
) => {
  if (context === undefined) return undefined
  const lang = language?.id ?? ""
  if (context.imports.length > 0) {
    metrics.promptSymbols.inc({ lang, symbol: "imports" }, context.imports.length)
  }
  if (context.functionSignatures.length > 0) {
    metrics.promptSymbols.inc({ lang, symbol: "function_signatures" }, context.functionSignatures.length)
  }
  return context
}

export const observePromptSizes = (
  metrics: MetricsShape,
  model: { readonly engine: string; readonly name: string },
  prompt: CompletionPrompt,
) =>
  Effect.sync(() => {
    const labels = { model_engine: model.engine, model_name: model.name }
    for (const [component, tokens] of Object.entries(prompt.tokens)) {
      metrics.promptSizeTokens.observe({ ...labels, component }, tokens)
    }
    metrics.promptSizeBytes.observe({ ...labels, component: "prefix" }, utf8.encode(prompt.prefix).length)
    metrics.promptSizeBytes.observe({ ...labels, component: "suffix" }, utf8.encode(prompt.suffix).length)
  })

/** Runs post-processing, timing it. */
export const timePostProcessing = (
  metrics: MetricsShape,
  model: { readonly engine: string; readonly name: string },
  postProcess: Effect.Effect<string>,
) =>
  Effect.suspend(() => {
    const startedAt = performance.now()
    return Effect.tap(postProcess, () =>
      Effect.sync(() =>
        metrics.postProcessingDuration.observe(
          { model_engine: model.engine, model_name: model.name },
          (performance.now() - startedAt) / 1000,
        )
      ))
  })

export interface TelemetryEntry {
  readonly model_engine?: string | null | undefined
  readonly model_name?: string | null | undefined
  readonly lang?: string | null | undefined
  readonly experiments?: ReadonlyArray<{ readonly name: string; readonly variant: number }> | null | undefined
  readonly requests?: number | undefined
  readonly accepts?: number | undefined
  readonly errors?: number | undefined
}

const headerCount = (value: string | undefined) => {
  const count = value === undefined ? NaN : Number(value)
  return Number.isInteger(count) && count > 0 ? count : 0
}

/**
 * Client telemetry: each body entry under its own labels, and the `X-GitLab-CS-Accepts`,
 * `-Requests` and `-Errors` headers under the labels of the model this request used.
 */
export const countTelemetry = (
  metrics: MetricsShape,
  entries: ReadonlyArray<TelemetryEntry>,
  headers: Readonly<Record<string, string | undefined>>,
  current: { readonly engine: string; readonly name: string; readonly lang: string },
) =>
  Effect.sync(() => {
    for (const entry of entries) {
      const labels = {
        model_engine: entry.model_engine ?? "",
        model_name: entry.model_name ?? "",
        lang: entry.lang ?? "",
        exp_names: (entry.experiments ?? []).map((experiment) => experiment.name).join(","),
        exp_variants: (entry.experiments ?? []).map((experiment) => experiment.variant).join(","),
      }
      if ((entry.requests ?? 0) > 0) metrics.requests.inc(labels, entry.requests)
      if ((entry.accepts ?? 0) > 0) metrics.accepts.inc(labels, entry.accepts)
      if ((entry.errors ?? 0) > 0) metrics.errors.inc(labels, entry.errors)
    }
    const labels = {
      model_engine: current.engine,
      model_name: current.name,
      lang: current.lang,
      exp_names: "",
      exp_variants: "",
    }
    const fromHeaders = {
      requests: headerCount(headers["x-gitlab-cs-requests"]),
      accepts: headerCount(headers["x-gitlab-cs-accepts"]),
      errors: headerCount(headers["x-gitlab-cs-errors"]),
    }
    if (fromHeaders.requests > 0) metrics.requests.inc(labels, fromHeaders.requests)
    if (fromHeaders.accepts > 0) metrics.accepts.inc(labels, fromHeaders.accepts)
    if (fromHeaders.errors > 0) metrics.errors.inc(labels, fromHeaders.errors)
  })
