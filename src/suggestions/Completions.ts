/**
 * Completions: code at the cursor (SPEC §3.1, §3.5), as a pipeline of steps —
 * language → model (catalog) → prompt (budgets, experiment, tree-sitter context) → model call →
 * post-processing — answering a text or a stream.
 *
 * Routing: no provider means `vertex-ai`. `prompt_version` 2 sends the client's `prompt` as it
 * is. Otherwise aigw builds the prompt: for fill-in-the-middle models (Vertex, OpenAI-compatible)
 * the code before and after the cursor within the model's budget; for Anthropic a Messages
 * conversation with both sides of the cursor (the original sent raw code to the text API and
 * never the suffix, SPEC §11).
 */
import { Context, Effect, Layer } from "effect"
import { ModelCatalog, type ModelEntry, type ProviderName } from "../models/catalog.ts"
import { ChatModel } from "../models/ChatModel.ts"
import { TextModel } from "../models/TextModel.ts"
import { Metrics } from "../observability/Metrics.ts"
import { Tracking } from "../observability/Tracking.ts"
import { extractDroppedContext, hasCodeContext } from "./codeContext.ts"
import { type ExperimentOutcome, Experiments } from "./experiments.ts"
import { detectLanguage, type Language } from "./language.ts"
import { PostProcessor, type SuggestionContext } from "./PostProcessor.ts"
import { buildCompletionPrompt } from "./prompts/completion.ts"
import { blockWindow, suffixLengthWithinBlock } from "./suffixBlock.ts"
import { InvalidSuggestionRequest, type Suggestion, type SuggestionModel } from "./Suggestion.ts"
import {
  countDroppedSymbols,
  countExperiment,
  countLanguage,
  observePromptSizes,
} from "./suggestionMetrics.ts"
import { countTokens } from "./tokens.ts"
import { TreeSitter } from "./treesitter.ts"
import { answer, type ModelCall } from "./modelCall.ts"

export interface CompletionInput {
  readonly promptVersion: number
  readonly fileName: string
  readonly languageIdentifier: string | undefined
  readonly prefix: string
  readonly suffix: string
  readonly provider: ProviderName | undefined
  readonly modelName: string | undefined
  /** The client's prompt (prompt_version 2). */
  readonly prompt: string | undefined
  readonly stream: boolean
}

/** The system prompt of an Anthropic completion: aigw's own words. */
export const anthropicCompletionSystem = (fileName: string, language: Language | undefined) =>
  `You are a code completion engine. The user shows the file ${fileName}` +
  `${language === undefined ? "" : `, written in ${language.name},`} with the cursor marked <cursor/>. ` +
  "Answer with only the code to insert at the cursor: no explanation, no markdown fences, and none of " +
  "the code that is already before or after the cursor."

export class Completions extends Context.Service<Completions, {
  readonly complete: (input: CompletionInput) => Effect.Effect<Suggestion, InvalidSuggestionRequest>
}>()("aigw/suggestions/Completions") {
  static readonly layer = Layer.effect(
    Completions,
    Effect.gen(function* () {
      const catalog = yield* ModelCatalog
      const textModel = yield* TextModel
      const chatModel = yield* ChatModel
      const treeSitter = yield* TreeSitter
      const experiments = yield* Experiments
      const postProcessor = yield* PostProcessor
      const metrics = yield* Metrics
      const tracking = yield* Tracking

      /** The suffix for the experiment's variant: whole, or cut at the end of the cursor's block. */
      const experimentSuffix = Effect.fnUntraced(
        function* (language: Language | undefined, input: CompletionInput) {
          const outcome = yield* experiments.truncateSuffix
          if (outcome.variant !== 1 || input.suffix === "") return { outcome, suffix: input.suffix }
          const parse = yield* treeSitter.parser(language?.grammar)
          const before = input.prefix.slice(-blockWindow)
          const after = input.suffix.slice(0, blockWindow)
          const keep = parse?.(before + after, (tree) => suffixLengthWithinBlock(tree, before.length))
          return { outcome, suffix: keep === undefined ? input.suffix : input.suffix.slice(0, keep) }
        },
      )

      const fillInTheMiddle = Effect.fnUntraced(function* (
        entry: ModelEntry,
        language: Language | undefined,
        input: CompletionInput,
      ) {
        const { outcome, suffix } = yield* experimentSuffix(language, input)
        yield* countExperiment(metrics, outcome)
        const parse = hasCodeContext(language?.grammar)
          ? yield* treeSitter.parser(language?.grammar)
          : undefined
        const prompt = buildCompletionPrompt({
          fileName: input.fileName,
          language,
          prefix: input.prefix,
          suffix,
          budgetTokens: entry.contextTokens,
          codeContext: (dropped) =>
            parse === undefined ? undefined : countDroppedSymbols(
              metrics,
              language,
              extractDroppedContext(language!.grammar!, dropped, parse),
            ),
        })
        yield* observePromptSizes(metrics, textModel.identify(entry), prompt)
        yield* Effect.logDebug("completion prompt", {
          prefix: prompt.prefix,
          suffix: prompt.suffix,
          tokens: prompt.tokens,
        })
        yield* tracking.completionTokens(
          "prompt",
          () =>
            prompt.tokens.prefix + prompt.tokens.suffix + prompt.tokens.imports +
            prompt.tokens.function_signatures,
        )
        return {
          experiments: [outcome],
          request: { model: entry, prefix: prompt.prefix, suffix: prompt.suffix },
        }
      })

      const complete = Effect.fn("Completions.complete")(function* (input: CompletionInput) {
        if (input.promptVersion !== 1 && input.promptVersion !== 2) {
          return yield* new InvalidSuggestionRequest({
            field: ["prompt_version"],
            message: "prompt_version must be 1 or 2 for completions",
          })
        }
        const language = detectLanguage(input.fileName, input.languageIdentifier)
        yield* countLanguage(metrics, input.fileName, input.languageIdentifier, language)
        yield* Effect.logDebug("completion request", { prefix: input.prefix, suffix: input.suffix })
        const provider = input.provider ?? "vertex-ai"
        const entry = yield* catalog.resolve(provider, "completion", input.modelName).pipe(
          Effect.mapError((error) =>
            new InvalidSuggestionRequest({ field: ["model_name"], message: error.message })
          ),
        )
        const context: SuggestionContext = {
          fileName: input.fileName,
          language,
          prefix: input.prefix,
          suffix: input.suffix,
          engine: entry.provider,
        }
        const lang = language?.id ?? ""
        let experimentsRun: ReadonlyArray<ExperimentOutcome> = []
        let model: SuggestionModel
        let call: ModelCall
        if (input.promptVersion === 2) {
          if (input.prompt === undefined) {
            return yield* new InvalidSuggestionRequest({
              field: ["prompt"],
              message: "prompt_version 2 requires a string prompt",
            })
          }
          const request = { model: entry, prefix: input.prompt }
          model = { ...textModel.identify(entry), lang }
          call = { generate: textModel.generate(request), stream: textModel.stream(request) }
        } else if (provider === "anthropic") {
          const prompt = buildCompletionPrompt({
            fileName: input.fileName,
            language: undefined,
            prefix: input.prefix,
            suffix: input.suffix,
            budgetTokens: entry.contextTokens,
            codeContext: () => undefined,
          })
          const request = {
            model: entry,
            featureCategory: "code_suggestions",
            messages: [
              { role: "system" as const, content: anthropicCompletionSystem(input.fileName, language) },
              { role: "user" as const, content: `${prompt.prefix}<cursor/>${prompt.suffix}` },
            ],
          }
          model = { ...chatModel.identify(entry), lang }
          call = { generate: chatModel.generate(request), stream: chatModel.stream(request) }
        } else {
          const built = yield* fillInTheMiddle(entry, language, input)
          experimentsRun = built.experiments
          model = { ...textModel.identify(entry), lang }
          call = { generate: textModel.generate(built.request), stream: textModel.stream(built.request) }
        }
        const suggestion = yield* answer(call, {
          stream: input.stream,
          model,
          experiments: experimentsRun,
          postProcess: (text) => postProcessor.completion(context, text),
          metrics,
        })
        if (suggestion._tag === "Text" && suggestion.text !== "") {
          yield* tracking.completionTokens("response", () => countTokens(suggestion.text))
        }
        return suggestion
      })

      return Completions.of({ complete })
    }),
  )
}
