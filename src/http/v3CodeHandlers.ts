/**
 * Handlers of the v3 code suggestions API (v3Code.ts): the editor component to a completion or
 * a generation, with the `code_context` components as context, answered as v3
 * (suggestionResponses.ts), with tracking as on v2. v4 (v4CodeHandlers.ts) takes the same body.
 */
import * as Effect from "effect/Effect"
import type * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpApiBuilder from "effect/http-api/HttpApiBuilder"
import { undefinedIfNull } from "../schema/Nullable.ts"
import { Completions } from "../suggestions/Completions.ts"
import { Generations } from "../suggestions/Generations.ts"
import type { ContextSnippet } from "../suggestions/Preparation.ts"
import { InvalidSuggestionRequest } from "../suggestions/Suggestion.ts"
import { Metrics } from "../observability/Metrics.ts"
import { Tracking } from "../observability/Tracking.ts"
import { Api } from "./api.ts"
import { reportSuggestion } from "./suggestionReporting.ts"
import { answerInvalid, v3Response } from "./suggestionResponses.ts"
import type { CompletionComponent, GenerationComponent, V3Body } from "./v3Code.ts"

type EditorComponent = typeof CompletionComponent.Type | typeof GenerationComponent.Type

const editorInput = (component: EditorComponent, contextSnippets: ReadonlyArray<ContextSnippet>) => ({
  fileName: component.payload.file_name,
  languageIdentifier: undefinedIfNull(component.payload.language_identifier),
  prefix: component.payload.content_above_cursor,
  suffix: component.payload.content_below_cursor,
  provider: undefinedIfNull(component.payload.model_provider),
  modelName: undefinedIfNull(component.payload.model_name),
  stream: component.payload.stream ?? false,
  contextSnippets,
})

/** The use case a v3/v4 body asks for: its first editor component, with every code_context. */
export const suggestFromComponents = (body: V3Body) =>
  Effect.gen(function* () {
    const completions = yield* Completions
    const generations = yield* Generations
    const editor = body.prompt_components.find((component): component is EditorComponent =>
      component.type !== "code_context"
    )
    if (editor === undefined) {
      return yield* new InvalidSuggestionRequest({
        field: ["prompt_components"],
        message: "a code_editor_completion or code_editor_generation component is required",
      })
    }
    const snippets = body.prompt_components.flatMap((component) =>
      component.type === "code_context" ? [component.payload] : []
    )
    if (editor.type === "code_editor_completion") {
      // A string prompt is sent as it is (as v2 prompt_version 2); messages are not a completion prompt.
      const prompt = typeof editor.payload.prompt === "string" ? editor.payload.prompt : undefined
      return yield* completions.complete({
        ...editorInput(editor, snippets),
        promptVersion: prompt === undefined ? 1 : 2,
        prompt,
      })
    }
    const prompt = undefinedIfNull(editor.payload.prompt)
    return yield* generations.generate({
      ...editorInput(editor, snippets),
      promptVersion: prompt === undefined ? 1 : 2,
      prompt,
    })
  })

/** The handler of a prompt-components body, answered by `respond` (v3 here, v4 in v4CodeHandlers.ts). */
export const componentsHandler = (respond: typeof v3Response) =>
  Effect.gen(function* () {
    const completions = yield* Completions
    const generations = yield* Generations
    const metrics = yield* Metrics
    const tracking = yield* Tracking
    return (
      { payload, request }: {
        readonly payload: V3Body
        readonly request: HttpServerRequest.HttpServerRequest
      },
    ) =>
      suggestFromComponents(payload).pipe(
        Effect.provideService(Completions, completions),
        Effect.provideService(Generations, generations),
        Effect.tap(reportSuggestion(metrics, tracking, [], request)),
        Effect.flatMap(respond),
        Effect.catchTag("InvalidSuggestionRequest", answerInvalid),
      )
  })

export const CodeSuggestionsV3Handlers = HttpApiBuilder.group(
  Api,
  "codeSuggestionsV3",
  Effect.fn(function* (handlers) {
    return handlers.handleAll({ completions: yield* componentsHandler(v3Response) })
  }),
)
