/**
 * The implementations of the Authentication middleware (SPEC §2), checked in the order of the
 * original gateway, each with its exact answer:
 *
 * 1. no `Authorization` header → 401 "No authorization header presented";
 * 2. a scheme other than bearer (any case) → 401 "Invalid authorization header";
 * 3. `X-Gitlab-Authentication-Type` other than `oidc` → 401 "Invalid authentication token
 *    type - only OIDC is supported";
 * 4. a token the Authenticator refuses → 401 "Forbidden by auth provider";
 * 5. a scope the route requires (see scopes.ts) missing from the token → 403 "Forbidden".
 *
 * The route's scope requirement is read once per endpoint when the routes are built, not per
 * request. The outcome (`auth_outcome`: authenticated, unauthenticated, forbidden, bypass) and
 * the token's subject, issuer and realm go on the request's access log line. With `AIGW_AUTH__BYPASS_EXTERNAL=true` nothing is checked and every request is the
 * debug user; that is logged once, when the layer is built.
 */
import { Effect, Layer } from "effect"
import { FetchHttpClient, HttpServerRequest } from "effect/http"
import type { HttpApiMiddleware } from "effect/http-api"
import { AppConfig } from "../config/AppConfig.ts"
import { Readiness } from "../monitoring/Readiness.ts"
import { recordFacts } from "../observability/RequestFacts.ts"
import { Authentication } from "./Authentication.ts"
import { Authenticator, type AuthenticatorShape } from "./Authenticator.ts"
import { authMessages, InsufficientScope, type InvalidToken, Unauthenticated } from "./errors.ts"
import { debugIdentity, Identity, type IdentityShape } from "./Identity.ts"
import { Jwks } from "./Jwks.ts"
import { satisfiesScopes, scopeRequirementOf } from "./scopes.ts"

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

/** Steps 1–4: the identity of the request, from its headers. */
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
  return Effect.catch(authenticator.authenticate(token), refusedToken)
}

const identityFields = (identity: IdentityShape) => ({
  auth_subject: identity.subject ?? null,
  auth_issuer: identity.issuer,
  auth_realm: identity.gitlabRealm ?? null,
})

const withIdentity = <A, E, R>(effect: Effect.Effect<A, E, R>, identity: IdentityShape, outcome: string) =>
  Effect.andThen(
    recordFacts({ auth_outcome: outcome, ...identityFields(identity) }),
    effect.pipe(Effect.provideService(Identity, identity), Effect.annotateLogs(identityFields(identity))),
  )

const verifying = (authenticator: AuthenticatorShape): Middleware => (httpEffect, { endpoint, group }) => {
  const requirement = scopeRequirementOf(endpoint, group)
  return Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const identity = yield* authenticateHeaders(request.headers, authenticator).pipe(
      Effect.tapError(() => recordFacts({ auth_outcome: "unauthenticated" })),
    )
    if (!satisfiesScopes(identity, requirement)) {
      yield* recordFacts({ auth_outcome: "forbidden", ...identityFields(identity) })
      return yield* forbidden
    }
    return yield* withIdentity(httpEffect, identity, "authenticated")
  })
}

const bypassing: Middleware = (httpEffect) => withIdentity(httpEffect, debugIdentity, "bypass")

/** Verifies every request with the Authenticator. */
export const layerVerifying: Layer.Layer<Authentication, never, Authenticator> = Layer.effect(
  Authentication,
  Effect.map(Effect.service(Authenticator), (authenticator) => Authentication.of(verifying(authenticator))),
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

/** Verification with its services: keys from the configured providers over fetch. */
export const layerVerifyingLive: Layer.Layer<Authentication, never, AppConfig | Readiness> = layerVerifying
  .pipe(
    Layer.provide(Authenticator.layer),
    Layer.provide(Jwks.layer),
    Layer.provide(FetchHttpClient.layer),
  )

/** Production: bypass or verification, as AppConfig says. */
export const layer: Layer.Layer<Authentication, never, AppConfig | Readiness> = Layer.unwrap(
  Effect.map(
    Effect.service(AppConfig),
    (config) => config.auth.bypassExternal ? layerBypass : layerVerifyingLive,
  ),
)
