/**
 * Completions: code at the cursor (SPEC §3.1, §3.5), as a pipeline of steps —
 * preparation (language, model, code context) → one of three prompt strategies → model call →
 * post-processing — answering a text or a stream.
 *
 * Strategies:
 * - `clientPrompt` (prompt_version 2): the client's `prompt` as it is;
 * - `conversation` (Anthropic): a Messages conversation with both sides of the cursor (the
 *   original sent raw code to the text API and never the suffix, SPEC §11);
 * - `fillInTheMiddle` (Vertex, OpenAI-compatible): the code before and after the cursor within
 *   the model's budget, with the suffix experiment and the file's imports and signatures.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { ChatModel, TextModel } from "../models/modelCall.ts"
import { Metrics } from "../observability/Metrics.ts"
import { Tracking } from "../observability/Tracking.ts"
import { answered, failedModelCall, type ModelCall, modelCall, streamed } from "./answer.ts"
import { type ExperimentOutcome, Experiments } from "./experiments.ts"
import type { Language } from "./language.ts"
import { PostProcessor } from "./PostProcessor.ts"
import {
  defaultProvider,
  Preparation,
  type PreparedSuggestion,
  snippetsPreamble,
  type SuggestionInput,
} from "./Preparation.ts"
import { buildCompletionPrompt } from "./prompts/completion.ts"
import { blockWindow, suffixLengthWithinBlock } from "./suffixBlock.ts"
import { InvalidSuggestionRequest, type Suggestion } from "./Suggestion.ts"
import { countDroppedSymbols, countExperiment, observePromptSizes } from "./suggestionMetrics.ts"
import { countTokens } from "./tokens.ts"
import { TreeSitter } from "./treesitter.ts"

export interface CompletionInput extends SuggestionInput {
  /** The client's prompt (prompt_version 2). */
  readonly prompt: string | undefined
}

/** The system prompt of an Anthropic completion: aigw's own words. */
export const anthropicCompletionSystem = (fileName: string, language: Language | undefined) =>
  `You are a code completion engine. The user shows the file ${fileName}` +
  `${language === undefined ? "" : `, written in ${language.name},`} with the cursor marked <cursor/>. ` +
  "Answer with only the code to insert at the cursor: no explanation, no markdown fences, and none of " +
  "the code that is already before or after the cursor."

/** A prompt strategy's result: the call to make and the experiments it ran. */
interface Strategy {
  readonly call: ModelCall
  readonly experiments: ReadonlyArray<ExperimentOutcome>
}

export class Completions extends Context.Service<Completions, {
  readonly complete: (input: CompletionInput) => Effect.Effect<Suggestion, InvalidSuggestionRequest>
}>()("aigw/suggestions/Completions") {
  static readonly layer = Layer.effect(
    Completions,
    Effect.gen(function* () {
      const preparation = yield* Preparation
      const textModel = yield* TextModel
      const chatModel = yield* ChatModel
      const treeSitter = yield* TreeSitter
      const experiments = yield* Experiments
      const postProcessor = yield* PostProcessor
      const metrics = yield* Metrics
      const tracking = yield* Tracking

      const clientPrompt = Effect.fnUntraced(
        function* (input: CompletionInput, prepared: PreparedSuggestion) {
          if (input.prompt === undefined) {
            return yield* new InvalidSuggestionRequest({
              field: ["prompt"],
              message: "prompt_version 2 requires a string prompt",
            })
          }
          return {
            call: modelCall(textModel, { model: prepared.entry, prefix: input.prompt }),
            experiments: [],
          }
        },
      )

      const conversation = (input: CompletionInput, prepared: PreparedSuggestion): Strategy => {
        const prompt = buildCompletionPrompt({
          fileName: input.fileName,
          language: undefined,
          prefix: snippetsPreamble(input.contextSnippets) + input.prefix,
          suffix: input.suffix,
          budgetTokens: prepared.entry.contextTokens,
          codeContext: () => undefined,
        })
        const call = modelCall(chatModel, {
          model: prepared.entry,
          featureCategory: "code_suggestions",
          messages: [
            { role: "system", content: anthropicCompletionSystem(input.fileName, prepared.language) },
            { role: "user", content: `${prompt.prefix}<cursor/>${prompt.suffix}` },
          ],
        })
        return { call, experiments: [] }
      }

      /** The suffix for the experiment's variant: whole, or cut at the end of the cursor's block. */
      const experimentSuffix = Effect.fnUntraced(
        function* (input: CompletionInput, prepared: PreparedSuggestion) {
          const outcome = yield* experiments.truncateSuffix
          if (outcome.variant !== 1 || input.suffix === "") return { outcome, suffix: input.suffix }
          const parse = yield* treeSitter.parser(prepared.language?.grammar)
          const before = input.prefix.slice(-blockWindow)
          const after = input.suffix.slice(0, blockWindow)
          const keep = parse?.(before + after, (tree) => suffixLengthWithinBlock(tree, before.length))
          return { outcome, suffix: keep === undefined ? input.suffix : input.suffix.slice(0, keep) }
        },
      )

      const fillInTheMiddle = Effect.fnUntraced(
        function* (input: CompletionInput, prepared: PreparedSuggestion) {
          const { outcome, suffix } = yield* experimentSuffix(input, prepared)
          yield* countExperiment(metrics, outcome)
          const prompt = buildCompletionPrompt({
            fileName: input.fileName,
            language: prepared.language,
            prefix: snippetsPreamble(input.contextSnippets) + input.prefix,
            suffix,
            budgetTokens: prepared.entry.contextTokens,
            codeContext: yield* prepared.codeContext,
          })
          countDroppedSymbols(metrics, prepared.language, prompt.context)
          const call = modelCall(textModel, {
            model: prepared.entry,
            prefix: prompt.prefix,
            suffix: prompt.suffix,
          })
          yield* observePromptSizes(metrics, call.model, prompt)
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
          return { call, experiments: [outcome] }
        },
      )

      const strategy = (input: CompletionInput, prepared: PreparedSuggestion) =>
        input.promptVersion === 2
          ? clientPrompt(input, prepared)
          : (input.provider ?? defaultProvider) === "anthropic"
          ? Effect.succeed(conversation(input, prepared))
          : fillInTheMiddle(input, prepared)

      const complete = Effect.fn("Completions.complete")(function* (input: CompletionInput) {
        if (input.promptVersion !== 1 && input.promptVersion !== 2) {
          return yield* new InvalidSuggestionRequest({
            field: ["prompt_version"],
            message: "prompt_version must be 1 or 2 for completions",
          })
        }
        const prepared = yield* preparation.prepare(input, "completion")
        const { call, experiments } = yield* strategy(input, prepared)
        const report = { ...prepared.report(call.model), experiments }
        if (input.stream) return streamed(report, call)
        const suggestion = yield* call.generate.pipe(
          Effect.flatMap(({ text }) => postProcessor.completion(prepared.postProcessing(call.model), text)),
          Effect.map(answered(report)),
          Effect.catch(failedModelCall(report)),
        )
        if (suggestion._tag === "Text" && suggestion.text !== "") {
          yield* tracking.completionTokens("response", () => countTokens(suggestion.text))
        }
        return suggestion
      })

      return Completions.of({ complete })
    }),
  )
}
