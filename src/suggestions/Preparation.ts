/**
 * Preparation: what completions and generations resolve once before they build a prompt —
 * the language (counted in `code_suggestions_prompt_language_total`), the catalog entry of the
 * requested or default model (a model the provider does not serve is a 422), the context
 * post-processing needs, and the reader of the file's imports and signatures for prompts that
 * must drop code.
 */
import { Context, Effect, Layer } from "effect"
import { ModelCatalog, type ModelEntry, type ProviderName, type UseCase } from "../models/catalog.ts"
import type { ModelIdentity } from "../models/types.ts"
import { Metrics } from "../observability/Metrics.ts"
import { type CodeContextReader, codeContextReader, hasCodeContext, noCodeContext } from "./codeContext.ts"
import { detectLanguage, type Language } from "./language.ts"
import type { SuggestionContext } from "./PostProcessor.ts"
import { InvalidSuggestionRequest, type SuggestionReport } from "./Suggestion.ts"
import { countLanguage } from "./suggestionMetrics.ts"
import { TreeSitter } from "./treesitter.ts"

/** The fields completions and generations share. */
export interface SuggestionInput {
  readonly promptVersion: number
  readonly fileName: string
  readonly languageIdentifier: string | undefined
  readonly prefix: string
  readonly suffix: string
  readonly provider: ProviderName | undefined
  readonly modelName: string | undefined
  readonly stream: boolean
}

export interface PreparedSuggestion {
  readonly entry: ModelEntry
  readonly language: Language | undefined
  /** Reads the imports and signatures of dropped code; parses only when a prompt asks. */
  readonly codeContext: Effect.Effect<CodeContextReader>
  /** The post-processing context for the model that answers. */
  readonly postProcessing: (model: ModelIdentity) => SuggestionContext
  /** What the answer reports, for the model that answers. */
  readonly report: (model: ModelIdentity) => Omit<SuggestionReport, "experiments">
}

/** No provider means `vertex-ai` (SPEC §3.1, §3.2). */
export const defaultProvider: ProviderName = "vertex-ai"

export class Preparation extends Context.Service<Preparation, {
  readonly prepare: (
    input: SuggestionInput,
    useCase: Extract<UseCase, "completion" | "generation">,
  ) => Effect.Effect<PreparedSuggestion, InvalidSuggestionRequest>
}>()("aigw/suggestions/Preparation") {
  /** Requires ModelCatalog, Metrics and TreeSitter. */
  static readonly layer = Layer.effect(
    Preparation,
    Effect.gen(function* () {
      const catalog = yield* ModelCatalog
      const treeSitter = yield* TreeSitter
      const metrics = yield* Metrics
      return Preparation.of({
        prepare: Effect.fnUntraced(function* (input, useCase) {
          const language = detectLanguage(input.fileName, input.languageIdentifier)
          yield* countLanguage(metrics, input.fileName, input.languageIdentifier, language)
          yield* Effect.logDebug(`${useCase} request`, { prefix: input.prefix, suffix: input.suffix })
          const entry = yield* catalog.resolve(input.provider ?? defaultProvider, useCase, input.modelName)
            .pipe(
              Effect.mapError((error) =>
                new InvalidSuggestionRequest({ field: ["model_name"], message: error.message })
              ),
            )
          const grammar = language?.grammar
          return {
            entry,
            language,
            codeContext: hasCodeContext(grammar)
              ? Effect.map(treeSitter.parser(grammar), (parse) => codeContextReader(grammar, parse))
              : Effect.succeed(noCodeContext),
            postProcessing: (model) => ({
              fileName: input.fileName,
              language,
              prefix: input.prefix,
              suffix: input.suffix,
              provider: entry.provider,
              model,
            }),
            report: (model) => ({
              model,
              lang: language?.id ?? "",
              inputLengths: { prefix: input.prefix.length, suffix: input.suffix.length },
            }),
          }
        }),
      })
    }),
  )
}
