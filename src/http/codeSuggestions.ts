/**
 * Handlers of the code suggestion routes: request bodies to use case inputs, answers to HTTP
 * (suggestionResponses.ts), and request errors of the use cases to 422.
 */
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import type { HttpServerRequest } from "effect/http"
import { Identity } from "../auth/Identity.ts"
import { Metrics, type MetricsShape } from "../observability/Metrics.ts"
import { Tracking } from "../observability/Tracking.ts"
import { Completions } from "../suggestions/Completions.ts"
import { Generations } from "../suggestions/Generations.ts"
import { countTelemetry, type TelemetryEntry } from "../suggestions/suggestionMetrics.ts"
import type { InvalidSuggestionRequest, Suggestion } from "../suggestions/Suggestion.ts"
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
    const metrics = yield* Metrics
    const tracking = yield* Tracking
    const reporting = (
      body: CompletionsBody | GenerationsBody,
      request: HttpServerRequest.HttpServerRequest,
    ) =>
      report(metrics, tracking, body.telemetry ?? [], request, {
        prefix: body.current_file.content_above_cursor,
        suffix: body.current_file.content_below_cursor ?? "",
      })
    const complete = (
      { payload, request }: {
        readonly payload: CompletionsBody
        readonly request: HttpServerRequest.HttpServerRequest
      },
    ) =>
      completions.complete({ ...fileFields(payload), prompt: undefinedIfNull(payload.prompt) }).pipe(
        Effect.tap(reporting(payload, request)),
        Effect.flatMap(v2Response),
        Effect.catchTag("InvalidSuggestionRequest", answerInvalid),
      )
    return handlers.handleAll({
      completionsLegacy: complete,
      completions: complete,
      generations: ({ payload, request }) =>
        generations.generate({ ...fileFields(payload), prompt: undefinedIfNull(payload.prompt) }).pipe(
          Effect.tap(reporting(payload, request)),
          Effect.flatMap(v2Response),
          Effect.catchTag("InvalidSuggestionRequest", answerInvalid),
        ),
    })
  }),
)

const commaList = (value: string | undefined): ReadonlyArray<string> =>
  value === undefined ? [] : value.split(",").map((item) => item.trim()).filter((item) => item !== "")

/**
 * What every code request reports besides its answer: the client telemetry of the body and the
 * `X-GitLab-CS-*` headers (metrics, labelled with this request's model), and the Snowplow
 * `suggestion_requested` event.
 */
const report = (
  metrics: MetricsShape,
  tracking: Tracking["Service"],
  entries: ReadonlyArray<TelemetryEntry>,
  request: HttpServerRequest.HttpServerRequest,
  code: { readonly prefix: string; readonly suffix: string },
) =>
(suggestion: Suggestion) =>
  Effect.gen(function* () {
    yield* countTelemetry(metrics, entries, request.headers, suggestion.model)
    const identity = yield* Effect.serviceOption(Identity)
    const header = (name: string) => request.headers[name] ?? null
    yield* tracking.suggestionRequested({
      requestCounts: entries.map((entry) => ({
        model_engine: entry.model_engine ?? null,
        model_name: entry.model_name ?? null,
        lang: entry.lang ?? null,
        requests: entry.requests ?? 0,
        accepts: entry.accepts ?? 0,
        errors: entry.errors ?? 0,
      })),
      prefixLength: code.prefix.length,
      suffixLength: code.suffix.length,
      language: suggestion.model.lang,
      userAgent: header("user-agent"),
      gitlabRealm: header("x-gitlab-realm") ??
        (identity._tag === "Some" ? identity.value.gitlabRealm ?? null : null),
      gitlabInstanceId: header("x-gitlab-instance-id"),
      gitlabGlobalUserId: header("x-gitlab-global-user-id"),
      gitlabHostName: header("x-gitlab-host-name"),
      gitlabSaasNamespaceIds: commaList(request.headers["x-gitlab-saas-namespace-ids"]),
      gitlabSaasDuoProNamespaceIds: commaList(request.headers["x-gitlab-saas-duo-pro-namespace-ids"]),
    })
  })

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
          Effect.tap(report(metrics, tracking, [], request, {
            prefix: component.payload.content_above_cursor,
            suffix: component.payload.content_below_cursor,
          })),
          Effect.flatMap(v3Response),
          Effect.catchTag("InvalidSuggestionRequest", answerInvalid),
        )
      },
    })
  }),
)
