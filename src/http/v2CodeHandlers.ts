/**
 * Handlers of the v2 code suggestions API (v2Code.ts): bodies to use case inputs, answers to
 * HTTP (suggestionResponses.ts), telemetry and tracking (suggestionReporting.ts), and request
 * errors of the use cases to 422.
 */
import * as Effect from "effect/Effect"
import type * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpApiBuilder from "effect/http-api/HttpApiBuilder"
import { Metrics } from "../observability/Metrics.ts"
import { Tracking } from "../observability/Tracking.ts"
import { undefinedIfNull } from "../schema/Nullable.ts"
import { Completions } from "../suggestions/Completions.ts"
import { Generations } from "../suggestions/Generations.ts"
import { redactedKey } from "../suggestions/customModel.ts"
import type { SuggestionInput } from "../suggestions/Preparation.ts"
import { Api } from "./api.ts"
import { reportSuggestion } from "./suggestionReporting.ts"
import { answerInvalid, v2Response } from "./suggestionResponses.ts"
import type { CompletionsBody, GenerationsBody } from "./v2Code.ts"

const suggestionInput = (body: CompletionsBody | GenerationsBody): SuggestionInput => ({
  fileName: body.current_file.file_name,
  languageIdentifier: undefinedIfNull(body.current_file.language_identifier),
  prefix: body.current_file.content_above_cursor,
  suffix: body.current_file.content_below_cursor ?? "",
  provider: undefinedIfNull(body.model_provider),
  modelName: undefinedIfNull(body.model_name),
  stream: body.stream ?? false,
  promptVersion: body.prompt_version ?? 1,
  customModel: {
    endpoint: undefinedIfNull(body.model_endpoint),
    apiKey: redactedKey(undefinedIfNull(body.model_api_key)),
    identifier: undefinedIfNull(body.model_identifier),
  },
})

interface Call<Body> {
  readonly payload: Body
  readonly request: HttpServerRequest.HttpServerRequest
}

export const CodeSuggestionsV2Handlers = HttpApiBuilder.group(
  Api,
  "codeSuggestionsV2",
  Effect.fn(function* (handlers) {
    const completions = yield* Completions
    const generations = yield* Generations
    const metrics = yield* Metrics
    const tracking = yield* Tracking
    const complete = ({ payload, request }: Call<CompletionsBody>) =>
      completions.complete({ ...suggestionInput(payload), prompt: undefinedIfNull(payload.prompt) }).pipe(
        Effect.tap(reportSuggestion(metrics, tracking, payload.telemetry ?? [], request)),
        Effect.flatMap(v2Response),
        Effect.catchTag("InvalidSuggestionRequest", answerInvalid),
      )
    return handlers.handleAll({
      completionsLegacy: complete,
      completions: complete,
      generations: ({ payload, request }) =>
        generations.generate({ ...suggestionInput(payload), prompt: undefinedIfNull(payload.prompt) }).pipe(
          Effect.tap(reportSuggestion(metrics, tracking, payload.telemetry ?? [], request)),
          Effect.flatMap(v2Response),
          Effect.catchTag("InvalidSuggestionRequest", answerInvalid),
        ),
    })
  }),
)
