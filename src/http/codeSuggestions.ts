/**
 * Handlers of the code suggestion routes: request bodies to use case inputs, answers to HTTP
 * (suggestionResponses.ts), and request errors of the use cases to 422.
 */
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Completions } from "../suggestions/Completions.ts"
import { Generations } from "../suggestions/Generations.ts"
import type { InvalidSuggestionRequest } from "../suggestions/Suggestion.ts"
import { Api } from "./api.ts"
import { invalidFieldResponse } from "./errors.ts"
import { v2Response, v3Response } from "./suggestionResponses.ts"
import type { CompletionsBody, GenerationsBody } from "./v2Code.ts"
import type { PromptComponent } from "./v3Code.ts"

const answerInvalid = (error: InvalidSuggestionRequest) =>
  Effect.succeed(invalidFieldResponse(error.field, error.message))

const undefinedIfNull = <A>(value: A | null | undefined): A | undefined => value ?? undefined

const fileFields = (body: CompletionsBody | GenerationsBody) => ({
  fileName: body.current_file.file_name,
  languageIdentifier: undefinedIfNull(body.current_file.language_identifier),
  prefix: body.current_file.content_above_cursor,
  suffix: body.current_file.content_below_cursor ?? "",
  provider: undefinedIfNull(body.model_provider),
  modelName: undefinedIfNull(body.model_name),
  stream: body.stream ?? false,
  promptVersion: body.prompt_version ?? 1,
})

export const CodeSuggestionsV2Handlers = HttpApiBuilder.group(
  Api,
  "codeSuggestionsV2",
  Effect.fn(function* (handlers) {
    const completions = yield* Completions
    const generations = yield* Generations
    const complete = ({ payload }: { readonly payload: CompletionsBody }) =>
      completions.complete({ ...fileFields(payload), prompt: undefinedIfNull(payload.prompt) }).pipe(
        Effect.flatMap(v2Response),
        Effect.catchTag("InvalidSuggestionRequest", answerInvalid),
      )
    return handlers.handleAll({
      completionsLegacy: complete,
      completions: complete,
      generations: ({ payload }) =>
        generations.generate({ ...fileFields(payload), prompt: undefinedIfNull(payload.prompt) }).pipe(
          Effect.flatMap(v2Response),
          Effect.catchTag("InvalidSuggestionRequest", answerInvalid),
        ),
    })
  }),
)

const componentInput = (component: PromptComponent) => ({
  fileName: component.payload.file_name,
  languageIdentifier: undefinedIfNull(component.payload.language_identifier),
  prefix: component.payload.content_above_cursor,
  suffix: component.payload.content_below_cursor,
  provider: undefinedIfNull(component.payload.model_provider),
  modelName: undefined,
  stream: component.payload.stream ?? false,
})

export const CodeSuggestionsV3Handlers = HttpApiBuilder.group(
  Api,
  "codeSuggestionsV3",
  Effect.fn(function* (handlers) {
    const completions = yield* Completions
    const generations = yield* Generations
    return handlers.handleAll({
      completions: ({ payload }) => {
        const component = payload.prompt_components[0]!
        const prompt = undefinedIfNull(component.payload.prompt)
        const suggestion = component.type === "code_editor_completion"
          ? completions.complete({ ...componentInput(component), promptVersion: 1, prompt: undefined })
          : generations.generate({
            ...componentInput(component),
            promptVersion: prompt === undefined ? 1 : 2,
            prompt,
          })
        return suggestion.pipe(
          Effect.flatMap(v3Response),
          Effect.catchTag("InvalidSuggestionRequest", answerInvalid),
        )
      },
    })
  }),
)
