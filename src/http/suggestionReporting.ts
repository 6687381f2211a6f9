/**
 * What every code request reports besides its answer: the client telemetry of the body and the
 * `X-GitLab-CS-*` headers (metrics, labelled with this request's model), and the Snowplow
 * `suggestion_requested` event (from the answer's report and the request's GitLab headers).
 */
import * as Effect from "effect/Effect"
import type * as HttpServerRequest from "effect/http/HttpServerRequest"
import { Identity } from "../auth/Identity.ts"
import type { MetricsShape } from "../observability/Metrics.ts"
import type { Tracking } from "../observability/Tracking.ts"
import { countTelemetry, type TelemetryEntry } from "../suggestions/suggestionMetrics.ts"
import type { Suggestion } from "../suggestions/Suggestion.ts"

const commaList = (value: string | undefined): ReadonlyArray<string> =>
  value === undefined ? [] : value.split(",").map((item) => item.trim()).filter((item) => item !== "")

export const reportSuggestion = (
  metrics: MetricsShape,
  tracking: Tracking["Service"],
  entries: ReadonlyArray<TelemetryEntry>,
  request: HttpServerRequest.HttpServerRequest,
) =>
(suggestion: Suggestion) =>
  Effect.gen(function* () {
    yield* countTelemetry(metrics, entries, request.headers, { ...suggestion.model, lang: suggestion.lang })
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
      prefixLength: suggestion.inputLengths.prefix,
      suffixLength: suggestion.inputLengths.suffix,
      language: suggestion.lang,
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
