/**
 * The v1 code API: `POST /v1/code/user_access_token` (GitLab 17.1+ direct access), also served
 * under `/ai` and `/auth`. GitLab exchanges its own token for one that aigw signs, valid one
 * hour, which the Language Server then sends straight to the completion routes.
 *
 * The route needs a token from GitLab or CustomersDot with `code_suggestions` (or
 * `complete_code`) and the caller's user, instance and realm headers; the handlers are in
 * v1CodeHandlers.ts. Rate-limit family: `code`.
 */
import * as Schema from "effect/Schema"
import * as HttpApiEndpoint from "effect/http-api/HttpApiEndpoint"
import * as HttpApiGroup from "effect/http-api/HttpApiGroup"
import * as OpenApi from "effect/http-api/OpenApi"
import { Authentication } from "../auth/Authentication.ts"

export const UserAccessToken = Schema.Struct({
  token: Schema.String,
  /** Unix seconds. */
  expires_at: Schema.Int,
})

export const tokenCreationForbidden = "Unauthorized to create user access token for code suggestions"

/** 403: the caller's token may not be exchanged (scope missing, or issued by aigw itself). */
export class TokenCreationForbidden extends Schema.Error<TokenCreationForbidden>("TokenCreationForbidden")({
  detail: Schema.Literal(tokenCreationForbidden),
}, { httpApiStatus: 403, description: "The token may not be exchanged for a user access token" }) {}

/** 400: a header the new token is bound to was not sent. */
export class MissingTokenHeader extends Schema.Error<MissingTokenHeader>("MissingTokenHeader")({
  detail: Schema.String,
}, { httpApiStatus: 400, description: "A required X-Gitlab-* header is missing" }) {}

export const directAccessNotConfigured =
  "Direct access is not configured: set AIGW_SELF_SIGNED_JWT__SIGNING_KEY"

/** 503: aigw has no signing key, so it issues no tokens. */
export class DirectAccessNotConfigured
  extends Schema.Error<DirectAccessNotConfigured>("DirectAccessNotConfigured")({
    detail: Schema.Literal(directAccessNotConfigured),
  }, { httpApiStatus: 503, description: "No signing key is configured" }) {}

export class CodeV1Api extends HttpApiGroup.make("codeV1")
  .add(
    HttpApiEndpoint.post("userAccessToken", "/v1/code/user_access_token", {
      success: UserAccessToken,
      error: [TokenCreationForbidden, MissingTokenHeader, DirectAccessNotConfigured],
    }).annotate(
      OpenApi.Description,
      "Direct access: exchanges a GitLab token (scope code_suggestions) for a token aigw signs, valid one hour on /v2/completions and /v2/code/completions. Needs the headers X-Gitlab-Global-User-Id, X-Gitlab-Instance-Id and X-Gitlab-Realm. No body.",
    ),
  )
  // No route scope: the handler answers a missing scope with this route's own 403.
  .middleware(Authentication)
  .annotateMerge(OpenApi.annotations({ title: "Code v1" })) {}
