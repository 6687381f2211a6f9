/**
 * Generations: new code from an instruction (SPEC §3.2), as a pipeline of steps — preparation
 * (language, model, code context) → the prompt of the request's prompt_version → model call →
 * post-processing. No provider means `vertex-ai`.
 * - prompt_version 1: aigw builds the prompt (prompts/generation.ts) for the generation model;
 * - prompt_version 2: the client's string prompt is sent as it is; Anthropic stops at
 *   `</new_code>` and `\n\nHuman:`;
 * - prompt_version 3: the client's messages go to a model that takes a conversation (`system`
 *   becomes the system prompt, a trailing assistant message is a prefill), stopping at
 *   `</new_code>`. A model that only takes text (Vertex `:predict`) cannot: that is a 422, not
 *   the original's 500.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { ModelEntry } from "../models/catalog.ts"
import { ChatModel, TextModel } from "../models/modelCall.ts"
import { Metrics } from "../observability/Metrics.ts"
import { answered, failedModelCall, type ModelCall, modelCall, streamed } from "./answer.ts"
import { PostProcessor } from "./PostProcessor.ts"
import {
  Preparation,
  type PreparedSuggestion,
  snippetsPreamble,
  type SuggestionInput,
} from "./Preparation.ts"
import { anthropicGenerationPrompt, buildGenerationInstruction, newCodeClose } from "./prompts/generation.ts"
import { InvalidSuggestionRequest, type Suggestion } from "./Suggestion.ts"
import { countDroppedSymbols } from "./suggestionMetrics.ts"

export interface GenerationMessage {
  readonly role: "system" | "user" | "assistant"
  readonly content: string
}

export interface GenerationInput extends SuggestionInput {
  /** The client's prompt: a string (prompt_version 2) or messages (prompt_version 3). */
  readonly prompt: string | ReadonlyArray<GenerationMessage> | undefined
}

/** Stop sequences of Anthropic string prompts (SPEC §3.2). */
export const anthropicTextStops = [newCodeClose, "\n\nHuman:"]

/** The wire APIs that take a conversation. */
const conversationalApis: ReadonlySet<string> = new Set(["messages", "gemini", "chat-completions"])

const invalid = (field: string, message: string) => new InvalidSuggestionRequest({ field: [field], message })

export class Generations extends Context.Service<Generations, {
  readonly generate: (input: GenerationInput) => Effect.Effect<Suggestion, InvalidSuggestionRequest>
}>()("aigw/suggestions/Generations") {
  static readonly layer = Layer.effect(
    Generations,
    Effect.gen(function* () {
      const preparation = yield* Preparation
      const textModel = yield* TextModel
      const chatModel = yield* ChatModel
      const postProcessor = yield* PostProcessor
      const metrics = yield* Metrics

      const textCall = (entry: ModelEntry, prompt: string, stops: ReadonlyArray<string> | undefined) =>
        modelCall(textModel, {
          model: entry,
          prefix: prompt,
          ...(stops === undefined ? {} : { parameters: { stopSequences: stops } }),
        })

      const builtPrompt = Effect.fnUntraced(function* (input: GenerationInput, prepared: PreparedSuggestion) {
        const instruction = buildGenerationInstruction({
          fileName: input.fileName,
          language: prepared.language,
          prefix: snippetsPreamble(input.contextSnippets) + input.prefix,
          suffix: input.suffix,
          budgetTokens: prepared.entry.contextTokens,
          codeContext: yield* prepared.codeContext,
        })
        countDroppedSymbols(metrics, prepared.language, instruction.context)
        yield* Effect.logDebug("generation prompt", { prompt: instruction.text })
        return prepared.entry.provider === "anthropic"
          ? textCall(prepared.entry, anthropicGenerationPrompt(instruction.text), [newCodeClose])
          : textCall(prepared.entry, instruction.text, undefined)
      })

      const clientPrompt = (input: GenerationInput, prepared: PreparedSuggestion) =>
        typeof input.prompt === "string"
          ? Effect.succeed(
            textCall(
              prepared.entry,
              input.prompt,
              prepared.entry.provider === "anthropic" ? anthropicTextStops : undefined,
            ),
          )
          : Effect.fail(invalid("prompt", "prompt_version 2 requires a string prompt"))

      const clientMessages = (input: GenerationInput, prepared: PreparedSuggestion) => {
        if (!Array.isArray(input.prompt) || input.prompt.length === 0) {
          return Effect.fail(invalid("prompt", "prompt_version 3 requires a non-empty list of messages"))
        }
        if (!conversationalApis.has(prepared.entry.api)) {
          return Effect.fail(invalid(
            "prompt_version",
            `prompt_version 3 needs a model that takes messages; ${prepared.entry.name} (${prepared.entry.provider}) takes text only`,
          ))
        }
        return Effect.succeed(modelCall(chatModel, {
          model: prepared.entry,
          messages: input.prompt as ReadonlyArray<GenerationMessage>,
          parameters: { stopSequences: [newCodeClose] },
          featureCategory: "code_suggestions",
        }))
      }

      const promptOf = (
        input: GenerationInput,
        prepared: PreparedSuggestion,
      ): Effect.Effect<ModelCall, InvalidSuggestionRequest> => {
        switch (input.promptVersion) {
          case 1:
            return builtPrompt(input, prepared)
          case 2:
            return clientPrompt(input, prepared)
          default:
            return clientMessages(input, prepared)
        }
      }

      const generate = Effect.fn("Generations.generate")(function* (input: GenerationInput) {
        const prepared = yield* preparation.prepare(input, "generation")
        if (input.promptVersion !== 1 && input.promptVersion !== 2 && input.promptVersion !== 3) {
          return yield* invalid("prompt_version", "prompt_version must be 1, 2 or 3 for generations")
        }
        const call = yield* promptOf(input, prepared)
        const report = { ...prepared.report(call.model), experiments: [] }
        if (input.stream) return streamed(report, call)
        return yield* call.generate.pipe(
          Effect.flatMap(({ text }) => postProcessor.generation(prepared.postProcessing(call.model), text)),
          Effect.map(answered(report)),
          Effect.catch(failedModelCall(report)),
        )
      })

      return Generations.of({ generate })
    }),
  )
}
