/**
 * What the code suggestion use cases count (SPEC §7): the language of each request, the symbols
 * tree-sitter found, experiment variants, prompt sizes per component, post-processing time, and
 * the client telemetry (body `telemetry` and `X-GitLab-CS-*` headers).
 */
import * as Effect from "effect/Effect"
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
        extension: metrics.requestLabels.extension.of(extensionOf(fileName)),
        editor_lang: metrics.requestLabels.editorLang.of(editorLanguage ?? ""),
      })
    ),
    recordFacts({ lang: language?.id ?? "" }),
  )

export const countExperiment = (metrics: MetricsShape, outcome: ExperimentOutcome) =>
  Effect.sync(() =>
    metrics.experiments.inc({
      name: metrics.requestLabels.experimentName.of(outcome.name),
      variant: metrics.requestLabels.experimentVariant.of(String(outcome.variant)),
    })
  )

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

/** The most one request may report in one count; a larger or non-integer count is ignored. */
export const maxReportedCount = 1_000

/** A header count: an integer from 0 to `maxReportedCount` in decimal digits, else 0. */
const headerCount = (value: string | undefined) => {
  const text = value?.trim() ?? ""
  if (!/^\d{1,4}$/.test(text)) return 0
  const count = Number(text)
  return count <= maxReportedCount ? count : 0
}

/** A body count within the same bounds as the headers'. */
const bodyCount = (value: number | undefined) =>
  value !== undefined && Number.isInteger(value) && value > 0 && value <= maxReportedCount ? value : 0

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
    const bounded = metrics.requestLabels
    for (const entry of entries) {
      const experiments = entry.experiments ?? []
      const labels = {
        model_engine: bounded.telemetryModelEngine.of(entry.model_engine ?? ""),
        model_name: bounded.telemetryModelName.of(entry.model_name ?? ""),
        lang: bounded.telemetryLang.of(entry.lang ?? ""),
        exp_names: bounded.telemetryExpNames.of(experiments.map((experiment) => experiment.name).join(",")),
        exp_variants: bounded.telemetryExpVariants.of(
          experiments.map((experiment) => experiment.variant).join(","),
        ),
      }
      const counts = {
        requests: bodyCount(entry.requests),
        accepts: bodyCount(entry.accepts),
        errors: bodyCount(entry.errors),
      }
      if (counts.requests > 0) metrics.requests.inc(labels, counts.requests)
      if (counts.accepts > 0) metrics.accepts.inc(labels, counts.accepts)
      if (counts.errors > 0) metrics.errors.inc(labels, counts.errors)
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
