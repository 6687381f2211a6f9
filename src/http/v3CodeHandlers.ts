/**
 * Handlers of the v3 code suggestions API (v3Code.ts): the prompt component to a completion or
 * a generation, answered as v3 (suggestionResponses.ts), with tracking as on v2.
 */
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Metrics } from "../observability/Metrics.ts"
import { Tracking } from "../observability/Tracking.ts"
import { undefinedIfNull } from "../schema/Nullable.ts"
import { Completions } from "../suggestions/Completions.ts"
import { Generations } from "../suggestions/Generations.ts"
import { Api } from "./api.ts"
import { reportSuggestion } from "./suggestionReporting.ts"
import { answerInvalid, v3Response } from "./suggestionResponses.ts"
import type { PromptComponent } from "./v3Code.ts"

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
    const metrics = yield* Metrics
    const tracking = yield* Tracking
    return handlers.handleAll({
      completions: ({ payload, request }) => {
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
          Effect.tap(reportSuggestion(metrics, tracking, [], request)),
          Effect.flatMap(v3Response),
          Effect.catchTag("InvalidSuggestionRequest", answerInvalid),
        )
      },
    })
  }),
)
