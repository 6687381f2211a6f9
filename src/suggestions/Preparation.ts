/**
 * Preparation: what completions and generations resolve once before they build a prompt —
 * the language (counted in `code_suggestions_prompt_language_total`), the catalog entry of the
 * requested or default model (a model the provider does not serve is a 422), the context
 * post-processing needs, and the reader of the file's imports and signatures for prompts that
 * must drop code.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { AppConfig } from "../config/AppConfig.ts"
import { ModelCatalog, type ModelEntry, type ProviderName, type UseCase } from "../models/catalog.ts"
import type { ModelIdentity } from "../models/types.ts"
import { Metrics } from "../observability/Metrics.ts"
import { type CodeContextReader, codeContextReader, hasCodeContext, noCodeContext } from "./codeContext.ts"
import { detectLanguage, type Language } from "./language.ts"
import type { SuggestionContext } from "./PostProcessor.ts"
import { InvalidSuggestionRequest, type SuggestionReport } from "./Suggestion.ts"
import { countLanguage } from "./suggestionMetrics.ts"
import { customModelProvider, type CustomModelRequest, resolveCustomModel } from "./customModel.ts"
import { TreeSitter } from "./treesitter.ts"

/** The fields completions and generations share. */
export interface SuggestionInput {
  readonly promptVersion: number
  readonly fileName: string
  readonly languageIdentifier: string | undefined
  readonly prefix: string
  readonly suffix: string
  readonly provider: RequestProvider | undefined
  readonly modelName: string | undefined
  readonly stream: boolean
  /** The self-hosted model the request names (`model_endpoint`, `model_api_key`, …), if any. */
  readonly customModel?: CustomModelRequest | undefined
  /** Context the client sent with the request (v3 `code_context` components), nearest last. */
  readonly contextSnippets?: ReadonlyArray<ContextSnippet> | undefined
}

/** A catalog provider, or `litellm` for a self-hosted model named by the request. */
export type RequestProvider = ProviderName | typeof customModelProvider

/** A piece of context the client sent (a file, a snippet). */
export interface ContextSnippet {
  readonly type: string
  readonly name: string
  readonly content: string
}

/** The snippets as text placed before the code above the cursor, so truncation drops them first. */
export const snippetsPreamble = (snippets: ReadonlyArray<ContextSnippet> | undefined): string =>
  (snippets ?? []).map((snippet) => `${snippet.type} ${snippet.name}:\n${snippet.content}\n\n`).join("")

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
  /** Requires AppConfig, ModelCatalog, Metrics and TreeSitter. */
  static readonly layer = Layer.effect(
    Preparation,
    Effect.gen(function* () {
      const catalog = yield* ModelCatalog
      const treeSitter = yield* TreeSitter
      const metrics = yield* Metrics
      const config = yield* AppConfig
      const noCustomModel: CustomModelRequest = {
        endpoint: undefined,
        apiKey: undefined,
        identifier: undefined,
      }
      const resolveEntry = (
        input: SuggestionInput,
        useCase: Extract<UseCase, "completion" | "generation">,
      ) => {
        const custom = resolveCustomModel(
          config.customModels,
          input.provider,
          input.modelName,
          input.customModel ?? noCustomModel,
          useCase,
        )
        if (custom instanceof InvalidSuggestionRequest) return Effect.fail(custom)
        if (custom !== undefined) return Effect.succeed(custom)
        return catalog.resolve((input.provider ?? defaultProvider) as ProviderName, useCase, input.modelName)
          .pipe(
            Effect.mapError((error) =>
              new InvalidSuggestionRequest({ field: ["model_name"], message: error.message })
            ),
          )
      }
      return Preparation.of({
        prepare: Effect.fnUntraced(function* (input, useCase) {
          const language = detectLanguage(input.fileName, input.languageIdentifier)
          yield* countLanguage(metrics, input.fileName, input.languageIdentifier, language)
          yield* Effect.logDebug(`${useCase} request`, { prefix: input.prefix, suffix: input.suffix })
          const entry = yield* resolveEntry(input, useCase)
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
