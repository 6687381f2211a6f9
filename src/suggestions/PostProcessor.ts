/**
 * PostProcessor: what a model's answer goes through before it reaches the client (SPEC §3.6).
 *
 * Identity until the issue "Post-processing of completions: the five ops with tree-sitter,
 * switchable by config" lands it.
 */
import { Context, Effect, Layer } from "effect"
import type { Language } from "./language.ts"

export interface SuggestionContext {
  readonly fileName: string
  readonly language: Language | undefined
  /** The code before and after the cursor, as the client sent it. */
  readonly prefix: string
  readonly suffix: string
  /** The provider that answered (`anthropic`, `vertex-ai`, …). */
  readonly engine: string
}

export class PostProcessor extends Context.Service<PostProcessor, {
  readonly completion: (context: SuggestionContext, completion: string) => Effect.Effect<string>
  readonly generation: (context: SuggestionContext, generation: string) => Effect.Effect<string>
}>()("aigw/suggestions/PostProcessor") {
  static readonly layer = Layer.succeed(
    PostProcessor,
    PostProcessor.of({
      completion: (_context, completion) => Effect.succeed(completion),
      generation: (_context, generation) => Effect.succeed(generation),
    }),
  )
}
