/**
 * Generations: new code from an instruction (SPEC §3.2). No provider means `vertex-ai`.
 * - prompt_version 1: aigw builds the prompt (prompts/generation.ts) for the generation model;
 * - prompt_version 2: the client's string prompt is sent as it is; Anthropic stops at
 *   `</new_code>` and `\n\nHuman:`;
 * - prompt_version 3: the client's messages go to a model that takes a conversation (`system`
 *   becomes the system prompt, a trailing assistant message is a prefill), stopping at
 *   `</new_code>`. A model that only takes text (Vertex `:predict`) cannot: that is a 422, not
 *   the original's 500.
 */
import { Context, Effect, Layer } from "effect"
import { ModelCatalog, type ModelEntry, type ProviderName } from "../models/catalog.ts"
import { ChatModel } from "../models/ChatModel.ts"
import { TextModel } from "../models/TextModel.ts"
import { Metrics } from "../observability/Metrics.ts"
import { extractDroppedContext, hasCodeContext } from "./codeContext.ts"
import { detectLanguage } from "./language.ts"
import { answer, type ModelCall } from "./modelCall.ts"
import { PostProcessor, type SuggestionContext } from "./PostProcessor.ts"
import { anthropicGenerationPrompt, buildGenerationInstruction, newCodeClose } from "./prompts/generation.ts"
import { InvalidSuggestionRequest, type Suggestion } from "./Suggestion.ts"
import { countDroppedSymbols, countLanguage } from "./suggestionMetrics.ts"
import { TreeSitter } from "./treesitter.ts"

export interface GenerationMessage {
  readonly role: "system" | "user" | "assistant"
  readonly content: string
}

export interface GenerationInput {
  readonly promptVersion: number
  readonly fileName: string
  readonly languageIdentifier: string | undefined
  readonly prefix: string
  readonly suffix: string
  readonly provider: ProviderName | undefined
  readonly modelName: string | undefined
  /** The client's prompt: a string (prompt_version 2) or messages (prompt_version 3). */
  readonly prompt: string | ReadonlyArray<GenerationMessage> | undefined
  readonly stream: boolean
}

/** Stop sequences of Anthropic string prompts (SPEC §3.2). */
export const anthropicTextStops = [newCodeClose, "\n\nHuman:"]

/** The wire APIs that take a conversation. */
const conversationalApis: ReadonlySet<string> = new Set(["messages", "gemini", "chat-completions"])

export class Generations extends Context.Service<Generations, {
  readonly generate: (input: GenerationInput) => Effect.Effect<Suggestion, InvalidSuggestionRequest>
}>()("aigw/suggestions/Generations") {
  static readonly layer = Layer.effect(
    Generations,
    Effect.gen(function* () {
      const catalog = yield* ModelCatalog
      const textModel = yield* TextModel
      const chatModel = yield* ChatModel
      const treeSitter = yield* TreeSitter
      const postProcessor = yield* PostProcessor
      const metrics = yield* Metrics

      const textCall = (
        entry: ModelEntry,
        prompt: string,
        stops: ReadonlyArray<string> | undefined,
      ): ModelCall => {
        const request = {
          model: entry,
          prefix: prompt,
          ...(stops === undefined ? {} : { parameters: { stopSequences: stops } }),
        }
        return { generate: textModel.generate(request), stream: textModel.stream(request) }
      }

      const invalid = (field: string, message: string) =>
        new InvalidSuggestionRequest({ field: [field], message })

      const generate = Effect.fn("Generations.generate")(function* (input: GenerationInput) {
        const language = detectLanguage(input.fileName, input.languageIdentifier)
        yield* countLanguage(metrics, input.fileName, input.languageIdentifier, language)
        yield* Effect.logDebug("generation request", { prefix: input.prefix, suffix: input.suffix })
        const provider = input.provider ?? "vertex-ai"
        const entry = yield* catalog.resolve(provider, "generation", input.modelName).pipe(
          Effect.mapError((error) => invalid("model_name", error.message)),
        )
        const isAnthropic = entry.provider === "anthropic"
        let call: ModelCall
        let identify = textModel.identify
        switch (input.promptVersion) {
          case 1: {
            const parse = hasCodeContext(language?.grammar)
              ? yield* treeSitter.parser(language?.grammar)
              : undefined
            const instruction = buildGenerationInstruction({
              fileName: input.fileName,
              language,
              prefix: input.prefix,
              suffix: input.suffix,
              budgetTokens: entry.contextTokens - (entry.parameters.maxTokens ?? 0),
              codeContext: (dropped) =>
                parse === undefined ? undefined : countDroppedSymbols(
                  metrics,
                  language,
                  extractDroppedContext(language!.grammar!, dropped, parse),
                ),
            })
            yield* Effect.logDebug("generation prompt", { prompt: instruction })
            call = isAnthropic
              ? textCall(entry, anthropicGenerationPrompt(instruction), [newCodeClose])
              : textCall(entry, instruction, undefined)
            break
          }
          case 2: {
            if (typeof input.prompt !== "string") {
              return yield* invalid("prompt", "prompt_version 2 requires a string prompt")
            }
            call = textCall(entry, input.prompt, isAnthropic ? anthropicTextStops : undefined)
            break
          }
          case 3: {
            if (!Array.isArray(input.prompt) || input.prompt.length === 0) {
              return yield* invalid("prompt", "prompt_version 3 requires a non-empty list of messages")
            }
            if (!conversationalApis.has(entry.api)) {
              return yield* invalid(
                "prompt_version",
                `prompt_version 3 needs a model that takes messages; ${entry.name} (${entry.provider}) takes text only`,
              )
            }
            const request = {
              model: entry,
              messages: input.prompt as ReadonlyArray<GenerationMessage>,
              parameters: { stopSequences: [newCodeClose] },
              featureCategory: "code_suggestions",
            }
            identify = chatModel.identify
            call = { generate: chatModel.generate(request), stream: chatModel.stream(request) }
            break
          }
          default:
            return yield* invalid("prompt_version", "prompt_version must be 1, 2 or 3 for generations")
        }
        const context: SuggestionContext = {
          fileName: input.fileName,
          language,
          prefix: input.prefix,
          suffix: input.suffix,
          engine: entry.provider,
        }
        return yield* answer(call, {
          stream: input.stream,
          model: { ...identify(entry), lang: language?.id ?? "" },
          experiments: [],
          postProcess: (text) => postProcessor.generation(context, text),
          metrics,
        })
      })

      return Generations.of({ generate })
    }),
  )
}
