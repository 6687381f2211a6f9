/**
 * PostProcessor: what a model's answer goes through before it reaches the client (SPEC §3.6).
 *
 * Completions run the five named ops in order — `remove_comment_only_completion`,
 * `trim_by_min_allowed_context`, `fix_end_block_errors`, `clean_model_reflection`,
 * `strip_whitespaces` — and an op that returns `""` ends the pipeline. Generations: for Vertex,
 * the fence and tags are stripped, a newline put first when needed, then `clean_model_reflection`
 * and `strip_whitespaces`; for other providers the tags are stripped, then `strip_whitespaces`.
 * `AIGW_F__CODE_SUGGESTIONS__EXCL_POST_PROC` switches named ops off. Streams are not
 * post-processed. Each pass is timed (`code_suggestions_post_processing_duration_seconds`) and,
 * at debug level, logs the text before and after.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { AppConfig } from "../config/AppConfig.ts"
import type { ModelIdentity } from "../models/types.ts"
import { Metrics } from "../observability/Metrics.ts"
import type { Language } from "./language.ts"
import { cleanModelReflection } from "./postprocess/cleanModelReflection.ts"
import { fixEndBlockErrors } from "./postprocess/fixEndBlockErrors.ts"
import { prependNewline, stripCodeFence, stripNewCodeTags } from "./postprocess/generation.ts"
import type { Op, OpInput } from "./postprocess/op.ts"
import { removeCommentOnlyCompletion } from "./postprocess/removeCommentOnlyCompletion.ts"
import { stripWhitespaces } from "./postprocess/stripWhitespaces.ts"
import { trimByMinAllowedContext } from "./postprocess/trimByMinAllowedContext.ts"
import { timePostProcessing } from "./suggestionMetrics.ts"
import { TreeSitter } from "./treesitter.ts"

export interface SuggestionContext {
  readonly fileName: string
  readonly language: Language | undefined
  /** The code before and after the cursor, as the client sent it. */
  readonly prefix: string
  readonly suffix: string
  /** The catalog entry's provider (`anthropic`, `vertex-ai`, …): it decides the generation steps. */
  readonly provider: string
  /** The model that answered, for the duration metric. */
  readonly model: ModelIdentity
}

/** The completion ops in the order they run. */
export const completionOps: ReadonlyArray<readonly [name: string, op: Op]> = [
  ["remove_comment_only_completion", removeCommentOnlyCompletion],
  ["trim_by_min_allowed_context", trimByMinAllowedContext],
  ["fix_end_block_errors", fixEndBlockErrors],
  ["clean_model_reflection", cleanModelReflection],
  ["strip_whitespaces", stripWhitespaces],
]

export const opNames: ReadonlySet<string> = new Set(completionOps.map(([name]) => name))

const vertexGenerationOps = completionOps.filter(([name]) =>
  name === "clean_model_reflection" || name === "strip_whitespaces"
)
const otherGenerationOps = completionOps.filter(([name]) => name === "strip_whitespaces")

/** Runs ops in order on the input's completion; `""` ends the run. */
export const runOps = (ops: ReadonlyArray<readonly [string, Op]>, input: OpInput): string => {
  let completion = input.completion
  for (const [, op] of ops) {
    completion = op({ ...input, completion })
    if (completion === "") return ""
  }
  return completion
}

export class PostProcessor extends Context.Service<PostProcessor, {
  readonly completion: (context: SuggestionContext, completion: string) => Effect.Effect<string>
  readonly generation: (context: SuggestionContext, generation: string) => Effect.Effect<string>
}>()("aigw/suggestions/PostProcessor") {
  /** Requires AppConfig, Metrics and TreeSitter. */
  static readonly layer = Layer.effect(
    PostProcessor,
    Effect.gen(function* () {
      const config = yield* AppConfig
      const treeSitter = yield* TreeSitter
      const metrics = yield* Metrics
      const excluded = new Set(config.featureFlags.excludedPostProcessing)
      const unknown = [...excluded].filter((name) => !opNames.has(name))
      if (unknown.length > 0) {
        yield* Effect.logWarning(
          `AIGW_F__CODE_SUGGESTIONS__EXCL_POST_PROC names unknown post-processing ops: ${unknown.join(", ")}`,
        )
      }
      const enabled = (ops: ReadonlyArray<readonly [string, Op]>) =>
        ops.filter(([name]) => !excluded.has(name))
      const completions = enabled(completionOps)
      const vertexGenerations = enabled(vertexGenerationOps)
      const otherGenerations = enabled(otherGenerationOps)

      const inputFor = (context: SuggestionContext, completion: string) =>
        Effect.map(treeSitter.parser(context.language?.grammar), (parse): OpInput => ({
          prefix: context.prefix,
          suffix: context.suffix,
          completion,
          language: context.language,
          parse,
        }))

      const pass = (context: SuggestionContext, text: string, run: Effect.Effect<string>) =>
        Effect.logDebug("model answered", { completion: text }).pipe(
          Effect.andThen(timePostProcessing(metrics, context.model, run)),
          Effect.tap((processed) => Effect.logDebug("post-processed", { completion: processed })),
        )

      const generationSteps = (context: SuggestionContext, generation: string) => {
        const code = stripNewCodeTags(generation)
        if (context.provider !== "vertex-ai") {
          return Effect.map(inputFor(context, code), (input) => runOps(otherGenerations, input))
        }
        const unfenced = prependNewline(context.prefix, stripCodeFence(code))
        return Effect.map(inputFor(context, unfenced), (input) => runOps(vertexGenerations, input))
      }

      return PostProcessor.of({
        completion: (context, completion) =>
          pass(
            context,
            completion,
            completion === ""
              ? Effect.succeed("")
              : Effect.map(inputFor(context, completion), (input) => runOps(completions, input)),
          ),
        generation: (context, generation) => pass(context, generation, generationSteps(context, generation)),
      })
    }),
  )
}
