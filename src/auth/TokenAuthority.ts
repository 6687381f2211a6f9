/**
 * TokenAuthority: the tokens aigw issues itself for direct access (GitLab 17.1+, the Language
 * Server calling the gateway without going through GitLab).
 *
 * - `issue` signs a one-hour RS256 token with `AIGW_SELF_SIGNED_JWT__SIGNING_KEY` (a PEM RSA
 *   private key); without that key direct access is off and `issue` fails.
 * - `verificationKeys` are the public halves of the signing key and of
 *   `AIGW_SELF_SIGNED_JWT__VALIDATION_KEY` (the previous signing key, kept during a rotation,
 *   private or public PEM). Tokens whose `iss` is `gitlab-ai-gateway` verify with these keys
 *   and nothing else; these keys verify nothing else (see Authenticator.ts).
 *
 * Keys are parsed by signingKeys.ts and handed to jose as PKCS#8/SPKI; all signing and verifying
 * is jose's. The key material is never logged.
 */
import { createPublicKey } from "node:crypto"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as jose from "jose"
import { AppConfig } from "../config/AppConfig.ts"
import type { VerificationKey } from "./oidcDiscovery.ts"
import { type KeyRole, parseKey } from "./signingKeys.ts"

/** `iss` and `aud` of the tokens aigw issues. */
export const selfIssuer = "gitlab-ai-gateway"

/** How long an issued token is valid, seconds. */
export const selfIssuedTokenLifetimeSeconds = 3600

/** The scopes an issued token grants. */
export const selfIssuedScopes: ReadonlyArray<string> = ["code_suggestions"]

/** What the token is issued for: the caller's headers and what its own token carried. */
export interface TokenRequest {
  readonly globalUserId: string
  readonly instanceId: string
  readonly realm: string
  /** Copied from the caller's token when it has one. */
  readonly duoSeatCount: string | number | undefined
}

export interface IssuedToken {
  readonly token: string
  /** `exp`, Unix seconds. */
  readonly expiresAt: number
}

/** `issue` without a signing key configured. */
export class SigningKeyMissing extends Data.TaggedError("SigningKeyMissing")<Record<never, never>> {}

export interface TokenAuthorityShape {
  readonly issue: (request: TokenRequest) => Effect.Effect<IssuedToken, SigningKeyMissing>
  /** The keys that verify self-issued tokens (issuer `gitlab-ai-gateway`); empty when none is set. */
  readonly verificationKeys: ReadonlyArray<VerificationKey>
}

/** The key as jose takes it; `role` as for `keyProblem`, which the configuration already ran. */
const importKeys = async (pem: string, role: KeyRole) => {
  const key = parseKey(pem, role)
  const publicKey = key.type === "public" ? key : createPublicKey(key)
  const spki = publicKey.export({ type: "spki", format: "pem" }).toString()
  const verifying = await jose.importSPKI(spki, "RS256", { extractable: true })
  const kid = await jose.calculateJwkThumbprint(await jose.exportJWK(verifying))
  const signing = key.type === "private"
    ? await jose.importPKCS8(key.export({ type: "pkcs8", format: "pem" }).toString(), "RS256")
    : undefined
  return { kid, signing, verification: { provider: "aigw", issuer: selfIssuer, kid, key: verifying } }
}

const revealed = (secret: Redacted.Redacted<string> | undefined) =>
  secret === undefined ? undefined : Redacted.value(secret)

export interface TokenAuthorityKeys {
  readonly signingKey: string | undefined
  readonly validationKey: string | undefined
}

const make = (keys: TokenAuthorityKeys) =>
  Effect.gen(function* () {
    const { signingKey: signingPem, validationKey: validationPem } = keys
    const signer = signingPem === undefined
      ? undefined
      : yield* Effect.promise(() => importKeys(signingPem, "signing"))
    const previous = validationPem === undefined
      ? undefined
      : yield* Effect.promise(() => importKeys(validationPem, "validation"))
    const verificationKeys: Array<VerificationKey> = []
    if (signer !== undefined) verificationKeys.push(signer.verification)
    if (previous !== undefined && previous.kid !== signer?.kid) verificationKeys.push(previous.verification)

    const issue = (request: TokenRequest): Effect.Effect<IssuedToken, SigningKeyMissing> =>
      Effect.gen(function* () {
        if (signer === undefined || signer.signing === undefined) return yield* new SigningKeyMissing()
        const now = Math.floor((yield* Clock.currentTimeMillis) / 1000)
        const expiresAt = now + selfIssuedTokenLifetimeSeconds
        const claims: jose.JWTPayload = {
          gitlab_realm: request.realm,
          gitlab_instance_id: request.instanceId,
          scopes: [...selfIssuedScopes],
          ...(request.duoSeatCount === undefined ? {} : { duo_seat_count: request.duoSeatCount }),
        }
        const signingKey = signer.signing
        const token = yield* Effect.promise(() =>
          new jose.SignJWT(claims)
            .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: signer.kid })
            .setIssuer(selfIssuer)
            .setAudience(selfIssuer)
            .setSubject(request.globalUserId)
            .setIssuedAt(now)
            .setNotBefore(now)
            .setExpirationTime(expiresAt)
            .setJti(crypto.randomUUID())
            .sign(signingKey)
        )
        return { token, expiresAt }
      })

    return TokenAuthority.of({ issue, verificationKeys })
  })

export class TokenAuthority extends Context.Service<TokenAuthority, TokenAuthorityShape>()(
  "aigw/auth/TokenAuthority",
) {
  /** The keys of AppConfig (`AIGW_SELF_SIGNED_JWT__*`). */
  static readonly layer: Layer.Layer<TokenAuthority, never, AppConfig> = Layer.effect(
    TokenAuthority,
    Effect.flatMap(Effect.service(AppConfig), (config) =>
      make({
        signingKey: revealed(config.selfSignedJwt.signingKey),
        validationKey: revealed(config.selfSignedJwt.validationKey),
      })),
  )

  /** Explicit PEM keys (tests). */
  static readonly layerWith = (keys: TokenAuthorityKeys): Layer.Layer<TokenAuthority> =>
    Layer.effect(TokenAuthority, make(keys))
}
