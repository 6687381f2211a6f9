/**
 * Authenticator: turns a bearer token into an Identity, or refuses it (SPEC §2).
 *
 * Verified tokens are remembered (verifiedTokens.ts) until their `exp` by Effect's Clock, never
 * past it (at most 10,000, least recently used first out), so a client sending the same token
 * on every request pays the RSA verification once. A remembered token stops being accepted as
 * soon as the key that verified it is gone from the key set (revoked at the provider). Tokens
 * are kept in memory only, never logged.
 *
 * A token whose `iss` is `gitlab-ai-gateway` was issued by aigw itself (direct access): it is
 * verified with the TokenAuthority's keys only, never with a provider's, and never makes aigw
 * fetch the providers' keys. The TokenAuthority's keys verify nothing else, because keys are
 * only tried for their own issuer.
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { InvalidToken } from "./errors.ts"
import type { IdentityShape } from "./Identity.ts"
import { Jwks, type KeySet } from "./Jwks.ts"
import type { VerificationKey } from "./oidcDiscovery.ts"
import { selfIssuer, TokenAuthority } from "./TokenAuthority.ts"
import {
  gatewayAudience,
  type Outcome,
  type ParsedToken,
  parseToken,
  type VerificationPolicy,
  verifyWithKeys,
} from "./tokenVerification.ts"
import { makeVerifiedTokens } from "./verifiedTokens.ts"

export interface AuthenticatorShape {
  readonly authenticate: (token: string) => Effect.Effect<IdentityShape, InvalidToken>
}

export interface AuthenticatorOptions {
  /** Default `gitlab-ai-gateway`. */
  readonly audience?: string
  /** Seconds; capped at 60 (SPEC §2). Default 60. */
  readonly clockToleranceSeconds?: number
  /** Verified tokens remembered. Default 10,000. */
  readonly cacheCapacity?: number
}

interface RememberedToken {
  readonly identity: IdentityShape
  readonly key: VerificationKey
}

const make = (options: AuthenticatorOptions) =>
  Effect.gen(function* () {
    const jwks = yield* Jwks
    const selfKeys = (yield* TokenAuthority).verificationKeys
    const selfKeySet: KeySet = {
      keys: selfKeys,
      kids: new Set(selfKeys.flatMap((key) => key.kid === undefined ? [] : [key.kid])),
      failedProviders: [],
      generation: 0,
    }
    const policy: VerificationPolicy = {
      audience: options.audience ?? gatewayAudience,
      clockToleranceSeconds: Math.min(Math.max(options.clockToleranceSeconds ?? 60, 0), 60),
    }
    const remembered = makeVerifiedTokens<RememberedToken>(options.cacheCapacity ?? 10_000)

    const remember = (token: string, identity: IdentityShape, key: VerificationKey) =>
      Effect.map(Clock.currentTimeMillis, (nowMillis) =>
        remembered.set(token, { identity, key }, identity.expiresAt * 1000, nowMillis))

    const verifySelfIssued = (token: string, parsed: ParsedToken) =>
      Effect.gen(function* () {
        const outcome = yield* verifyWithKeys(
          token,
          parsed,
          selfKeySet,
          policy,
          yield* Clock.currentTimeMillis,
        )
        if (outcome._tag !== "Verified") {
          const reason = selfKeys.length === 0
            ? "a token issued by aigw, but no AIGW_SELF_SIGNED_JWT__* key is configured"
            : `a token issued by aigw: ${outcome.reason}`
          return yield* new InvalidToken({ reason })
        }
        yield* remember(token, outcome.identity, outcome.key)
        return outcome.identity
      })

    const verify = (token: string) =>
      Effect.gen(function* () {
        const parsed = parseToken(token)
        if ("rejected" in parsed) {
          return yield* new InvalidToken({ reason: parsed.rejected })
        }
        if (parsed.issuer === selfIssuer) {
          return yield* verifySelfIssued(token, parsed)
        }
        let keySet = yield* jwks.current
        let outcome: Outcome = yield* verifyWithKeys(
          token,
          parsed,
          keySet,
          policy,
          yield* Clock.currentTimeMillis,
        )
        if (outcome._tag === "NoKey") {
          const refreshed = yield* jwks.refreshForUnknownKey(parsed)
          if (refreshed.generation !== keySet.generation) {
            keySet = refreshed
            outcome = yield* verifyWithKeys(token, parsed, keySet, policy, yield* Clock.currentTimeMillis)
          }
        }
        if (outcome._tag !== "Verified") {
          const reason = keySet.keys.length === 0
            ? `no signing keys were ever loaded from the OIDC providers (${jwks.providers.join(", ")})`
            : outcome.reason
          return yield* new InvalidToken({ reason })
        }
        yield* remember(token, outcome.identity, outcome.key)
        return outcome.identity
      })

    const authenticate = (token: string): Effect.Effect<IdentityShape, InvalidToken> =>
      Effect.flatMap(Clock.currentTimeMillis, (nowMillis) => {
        const hit = remembered.get(token, nowMillis)
        if (hit === undefined) {
          return verify(token)
        }
        if (selfKeys.includes(hit.key)) {
          return Effect.succeed(hit.identity)
        }
        return Effect.flatMap(jwks.current, (keySet) => {
          if (keySet.keys.includes(hit.key)) {
            return Effect.succeed(hit.identity)
          }
          remembered.delete(token)
          return verify(token)
        })
      })

    return Authenticator.of({ authenticate })
  })

export class Authenticator
  extends Context.Service<Authenticator, AuthenticatorShape>()("aigw/auth/Authenticator") {
  static readonly layer: Layer.Layer<Authenticator, never, Jwks | TokenAuthority> = Layer.effect(
    Authenticator,
    make({}),
  )

  static readonly layerWith = (
    options: AuthenticatorOptions,
  ): Layer.Layer<Authenticator, never, Jwks | TokenAuthority> => Layer.effect(Authenticator, make(options))
}
