/**
 * Authenticator: turns a bearer token into an Identity, or refuses it (SPEC §2).
 *
 * Verified tokens are remembered by their SHA-256 until their `exp` (at most 10,000, least
 * recently used first out), so a client sending the same token on every request pays the RSA
 * verification once. A remembered token stops being accepted as soon as the key that
 * verified it is gone from the key set (revoked at the provider). Tokens themselves are
 * neither kept nor logged.
 *
 * A token whose `iss` is `gitlab-ai-gateway` was issued by aigw itself (direct access): it is
 * verified with the TokenAuthority's keys only, never with a provider's, and never makes aigw
 * fetch the providers' keys. The TokenAuthority's keys verify nothing else, because keys are
 * only tried for their own issuer.
 */
import { Cache, Clock, Context, Effect, Layer } from "effect"
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
  readonly ttlMillis: number
}

const encoder = new TextEncoder()

const tokenHash = (token: string): Effect.Effect<string> =>
  Effect.promise(async () => {
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(token)))
    let hex = ""
    for (const byte of digest) hex += byte.toString(16).padStart(2, "0")
    return hex
  })

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
    const remembered = yield* Cache.makeWith<string, RememberedToken>(
      // Entries are only ever `set` after a verification; a lookup has nothing to compute.
      () => Effect.die(new Error("the token cache is filled by set only")),
      {
        capacity: options.cacheCapacity ?? 10_000,
        timeToLive: (exit) => exit._tag === "Success" ? exit.value.ttlMillis : 0,
      },
    )

    const remember = (hash: string, identity: IdentityShape, key: VerificationKey) =>
      Effect.gen(function* () {
        const ttlMillis = identity.expiresAt * 1000 - (yield* Clock.currentTimeMillis)
        if (ttlMillis > 0) yield* Cache.set(remembered, hash, { identity, key, ttlMillis })
      })

    const verifySelfIssued = (token: string, parsed: ParsedToken, hash: string) =>
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
        yield* remember(hash, outcome.identity, outcome.key)
        return outcome.identity
      })

    const verify = (token: string, hash: string) =>
      Effect.gen(function* () {
        const parsed = parseToken(token)
        if ("rejected" in parsed) return yield* new InvalidToken({ reason: parsed.rejected })
        if (parsed.issuer === selfIssuer) return yield* verifySelfIssued(token, parsed, hash)
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
        yield* remember(hash, outcome.identity, outcome.key)
        return outcome.identity
      })

    const authenticate = (token: string): Effect.Effect<IdentityShape, InvalidToken> =>
      Effect.gen(function* () {
        const hash = yield* tokenHash(token)
        const hit = yield* Cache.getOption(remembered, hash)
        if (hit._tag === "Some") {
          const { key, identity } = hit.value
          if (selfKeys.includes(key) || (yield* jwks.current).keys.includes(key)) return identity
          yield* Cache.invalidate(remembered, hash)
        }
        return yield* verify(token, hash)
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
