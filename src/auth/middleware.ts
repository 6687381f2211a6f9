/**
 * The implementations of the Authentication middleware (SPEC §2), checked in the order of the
 * original gateway, each with its exact answer:
 *
 * 1. no `Authorization` header → 401 "No authorization header presented";
 * 2. a scheme other than bearer (any case) → 401 "Invalid authorization header";
 * 3. `X-Gitlab-Authentication-Type` other than `oidc` → 401 "Invalid authentication token
 *    type - only OIDC is supported";
 * 4. a token the Authenticator refuses → 401 "Forbidden by auth provider";
 * 5. a claim that contradicts its header → 401 "Header mismatch 'X-Gitlab-…'": `gitlab_realm`
 *    and `X-Gitlab-Realm`, `gitlab_instance_id` and `X-Gitlab-Instance-Id`, and for tokens
 *    aigw issued itself `sub` and `X-Gitlab-Global-User-Id`; each only when the claim is set and
 *    the header is sent (an absent or empty header is not a mismatch);
 * 6. a scope the route requires (see scopes.ts) missing from the token → 403 "Forbidden". A token
 *    aigw issued itself grants its scopes on the completion routes only.
 *
 * The route's scope requirement is read once per endpoint when the routes are built, not per
 * request. The outcome (`auth_outcome`: authenticated, unauthenticated, forbidden, bypass) and
 * the token's subject, issuer and realm go on the request's access log line. With
 * `AIGW_AUTH__BYPASS_EXTERNAL=true` nothing is checked and every request is the debug user; with
 * `AIGW_AUTH__BYPASS_EXTERNAL_WITH_HEADER=true` so is every request that sends
 * `Bypass-Auth: true`. Either is logged as a warning once, when the layer is built.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as References from "effect/References"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import type * as HttpApiMiddleware from "effect/http-api/HttpApiMiddleware"
import { AppConfig } from "../config/AppConfig.ts"
import { Readiness } from "../monitoring/Readiness.ts"
import { recordFacts } from "../observability/RequestFacts.ts"
import { Authentication } from "./Authentication.ts"
import { Authenticator, type AuthenticatorShape } from "./Authenticator.ts"
import { authMessages, InsufficientScope, type InvalidToken, Unauthenticated } from "./errors.ts"
import { debugIdentity, Identity, type IdentityShape } from "./Identity.ts"
import { Jwks } from "./Jwks.ts"
import { acceptsSelfIssuedTokens, satisfiesScopes, scopeRequirementOf } from "./scopes.ts"
import type { TokenAuthority } from "./TokenAuthority.ts"

type Middleware = HttpApiMiddleware.HttpApiMiddleware<
  Identity,
  [typeof Unauthenticated, typeof InsufficientScope],
  never
>

const refuse = (message: string) => Effect.fail(new Unauthenticated({ error: message }))

const forbidden = Effect.suspend(() => Effect.fail(new InsufficientScope({ detail: "Forbidden" })))

const refusedToken = (error: InvalidToken) =>
  Effect.andThen(
    Effect.logDebug("authentication refused", { logger: "auth", reason: error.reason }),
    refuse(authMessages.invalidToken),
  )

const claimHeaderChecks = [
  { claim: (identity: IdentityShape) => identity.gitlabRealm, header: "X-Gitlab-Realm" },
  { claim: (identity: IdentityShape) => identity.gitlabInstanceId, header: "X-Gitlab-Instance-Id" },
  {
    claim: (identity: IdentityShape) => identity.isSelfIssued ? identity.subject : undefined,
    header: "X-Gitlab-Global-User-Id",
  },
] as const

/** Step 5: the first header that contradicts the token's claim, if any. */
export const mismatchedHeader = (
  identity: IdentityShape,
  headers: Readonly<Record<string, string | undefined>>,
): string | undefined => {
  for (const { claim, header } of claimHeaderChecks) {
    const expected = claim(identity)
    const sent = headers[header.toLowerCase()]
    if (expected !== undefined && expected !== "" && sent !== undefined && sent !== "" && sent !== expected) {
      return header
    }
  }
  return undefined
}

const checkHeaders = (identity: IdentityShape, headers: Readonly<Record<string, string | undefined>>) => {
  const header = mismatchedHeader(identity, headers)
  return header === undefined ? Effect.succeed(identity) : Effect.andThen(
    Effect.logDebug("authentication refused", { logger: "auth", reason: `header mismatch ${header}` }),
    refuse(authMessages.headerMismatch(header)),
  )
}

/** Steps 1–5: the identity of the request, from its headers. */
export const authenticateHeaders = (
  headers: Readonly<Record<string, string | undefined>>,
  authenticator: AuthenticatorShape,
): Effect.Effect<IdentityShape, Unauthenticated> => {
  const authorization = headers["authorization"]
  if (authorization === undefined) return refuse(authMessages.missingHeader)
  const space = authorization.indexOf(" ")
  const scheme = space === -1 ? authorization : authorization.slice(0, space)
  if (scheme.toLowerCase() !== "bearer") return refuse(authMessages.invalidHeader)
  if (headers["x-gitlab-authentication-type"] !== "oidc") {
    return refuse(authMessages.invalidAuthenticationType)
  }
  const token = space === -1 ? "" : authorization.slice(space + 1).trim()
  return Effect.flatMap(
    Effect.catch(authenticator.authenticate(token), refusedToken),
    (identity) => checkHeaders(identity, headers),
  )
}

const identityFields = (identity: IdentityShape) => ({
  auth_subject: identity.subject ?? null,
  auth_issuer: identity.issuer,
  auth_realm: identity.gitlabRealm ?? null,
})

/** The identity as a service and on every log line of the request (one context change for both). */
const withIdentity = <A, E, R>(effect: Effect.Effect<A, E, R>, identity: IdentityShape, outcome: string) => {
  const fields = identityFields(identity)
  return Effect.andThen(
    recordFacts({ auth_outcome: outcome, ...fields }),
    Effect.updateContext(effect, (context: Context.Context<Exclude<R, Identity>>) =>
      Context.add(
        Context.add(context, Identity, identity),
        References.CurrentLogAnnotations,
        { ...Context.getUnsafe(context, References.CurrentLogAnnotations), ...fields },
      ) as Context.Context<R>),
  )
}

/** A self-issued token outside the routes that take it grants no scope. */
const withoutScopes = (identity: IdentityShape): IdentityShape => ({ ...identity, scopes: new Set() })

interface VerifyingOptions {
  /** `AIGW_AUTH__BYPASS_EXTERNAL_WITH_HEADER`: `Bypass-Auth: true` makes the request the debug user. */
  readonly bypassWithHeader: boolean
}

const verifying = (authenticator: AuthenticatorShape, options: VerifyingOptions): Middleware =>
(
  httpEffect,
  { endpoint, group },
) => {
  const requirement = scopeRequirementOf(endpoint, group)
  const takesSelfIssued = acceptsSelfIssuedTokens(endpoint)
  return Effect.withFiber((fiber): ReturnType<Middleware> => {
    const request = Context.getUnsafe(fiber.context, HttpServerRequest.HttpServerRequest)
    if (options.bypassWithHeader && request.headers["bypass-auth"] === "true") {
      return withIdentity(httpEffect, debugIdentity, "bypass")
    }
    return Effect.flatMap(
      Effect.tapError(
        authenticateHeaders(request.headers, authenticator),
        () => recordFacts({ auth_outcome: "unauthenticated" }),
      ),
      (verified): ReturnType<Middleware> => {
        const identity = verified.isSelfIssued && !takesSelfIssued ? withoutScopes(verified) : verified
        if (!satisfiesScopes(identity, requirement)) {
          return Effect.andThen(
            recordFacts({ auth_outcome: "forbidden", ...identityFields(identity) }),
            forbidden,
          )
        }
        return withIdentity(httpEffect, identity, "authenticated")
      },
    )
  })
}

const bypassing: Middleware = (httpEffect) => withIdentity(httpEffect, debugIdentity, "bypass")

/** Verifies every request with the Authenticator (or lets `Bypass-Auth: true` through, if configured). */
export const layerVerifying: Layer.Layer<Authentication, never, Authenticator | AppConfig> = Layer.effect(
  Authentication,
  Effect.gen(function* () {
    const authenticator = yield* Authenticator
    const bypassWithHeader = (yield* AppConfig).auth.bypassExternalWithHeader
    if (bypassWithHeader) {
      yield* Effect.logWarning(
        "AIGW_AUTH__BYPASS_EXTERNAL_WITH_HEADER=true: every request with the header `Bypass-Auth: true` is served as a debug user with every scope, without any token. Use it only for tests; never where the gateway can be reached by others.",
        { logger: "auth" },
      )
    }
    return Authentication.of(verifying(authenticator, { bypassWithHeader }))
  }),
)

/** Checks nothing: every request is the debug user. Readiness does not wait for keys. */
export const layerBypass: Layer.Layer<Authentication, never, Readiness> = Layer.effect(
  Authentication,
  Effect.gen(function* () {
    yield* Effect.logWarning(
      "AIGW_AUTH__BYPASS_EXTERNAL=true: authentication is OFF. Every request is served as a debug user with every scope. Never run this way where the gateway can be reached by others.",
      { logger: "auth" },
    )
    yield* (yield* Readiness).report("jwks", true)
    return Authentication.of(bypassing)
  }),
)

/**
 * Verification with its services: keys from the configured providers over fetch, and the
 * TokenAuthority's for self-issued tokens (shared with the token route, hence required).
 */
export const layerVerifyingLive: Layer.Layer<Authentication, never, AppConfig | Readiness | TokenAuthority> =
  layerVerifying
    .pipe(
      Layer.provide(Authenticator.layer),
      Layer.provide(Jwks.layer),
      Layer.provide(FetchHttpClient.layer),
    )

/** Production: bypass or verification, as AppConfig says. */
export const layer: Layer.Layer<Authentication, never, AppConfig | Readiness | TokenAuthority> = Layer.unwrap(
  Effect.map(
    Effect.service(AppConfig),
    (config) => config.auth.bypassExternal ? layerBypass : layerVerifyingLive,
  ),
)
