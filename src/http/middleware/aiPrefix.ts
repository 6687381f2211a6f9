/**
 * Serves every route also under `/ai` (GitLab.com reaches the gateway as
 * `https://cloud.gitlab.com/ai/v2/...`, SPEC §1) by routing `/ai/x` as `/x`, and the direct-access
 * token route also under `/auth` (`/auth/v1/code/user_access_token`, SPEC §12.1), that route only.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import type * as HttpServerResponse from "effect/http/HttpServerResponse"

const aiPrefix = /^\/ai(?=\/|$|\?)/
const authPrefix = /^\/auth(?=\/v1\/code\/user_access_token(?:$|\?))/

/** `/ai/v2/x?y` → `/v2/x?y`, `/auth/v1/code/user_access_token` → `/v1/code/user_access_token`; other URLs unchanged. */
export const stripAiPrefix = (url: string): string => {
  const match = aiPrefix.exec(url) ?? authPrefix.exec(url)
  if (match === null) return url
  const rest = url.slice(match[0].length)
  return rest.startsWith("/") ? rest : `/${rest}`
}

export const aiPrefixRouting = <E, R>(
  app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>,
): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest> =>
  // Most requests have no prefix: they run on as they are, without a copy of their services.
  Effect.withFiber((fiber) => {
    const request = Context.getUnsafe(fiber.context, HttpServerRequest.HttpServerRequest)
    const url = stripAiPrefix(request.url)
    return url === request.url
      ? app
      : Effect.provideService(app, HttpServerRequest.HttpServerRequest, request.modify({ url }))
  })
