/**
 * Handlers of the v4 code suggestions API (v4Code.ts): the v3 use case (v3CodeHandlers.ts),
 * answered as v4 (suggestionResponses.ts).
 */
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Metrics } from "../observability/Metrics.ts"
import { Tracking } from "../observability/Tracking.ts"
import { Completions } from "../suggestions/Completions.ts"
import { Generations } from "../suggestions/Generations.ts"
import { Api } from "./api.ts"
import { reportSuggestion } from "./suggestionReporting.ts"
import { answerInvalid, v4Response } from "./suggestionResponses.ts"
import { suggestFromComponents } from "./v3CodeHandlers.ts"

export const CodeSuggestionsV4Handlers = HttpApiBuilder.group(
  Api,
  "codeSuggestionsV4",
  Effect.fn(function* (handlers) {
    const completions = yield* Completions
    const generations = yield* Generations
    const metrics = yield* Metrics
    const tracking = yield* Tracking
    return handlers.handleAll({
      suggestions: ({ payload, request }) =>
        suggestFromComponents(payload).pipe(
          Effect.provideService(Completions, completions),
          Effect.provideService(Generations, generations),
          Effect.tap(reportSuggestion(metrics, tracking, [], request)),
          Effect.flatMap(v4Response),
          Effect.catchTag("InvalidSuggestionRequest", answerInvalid),
        ),
    })
  }),
)
