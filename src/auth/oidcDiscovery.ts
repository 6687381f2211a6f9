/**
 * Fetching the signing keys of one OIDC provider (SPEC §2): `GET {base}/.well-known/openid-configuration`,
 * then `GET` its `jwks_uri`. Each call has its own timeout and its HTTP status is checked; the
 * provider's `issuer` travels with its keys, because a key only vouches for tokens of the
 * provider that published it.
 */
import { tlsProblem } from "../net/tlsProblem.ts"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as jose from "jose"

/** A public key that may verify tokens, and the provider it belongs to. */
export interface VerificationKey {
  /** The provider's base URL as configured (`AIGW_GITLAB_URL`, `AIGW_CUSTOMER_PORTAL_URL`). */
  readonly provider: string
  /** The provider's `issuer`, without a trailing slash. */
  readonly issuer: string
  readonly kid: string | undefined
  readonly key: jose.CryptoKey
}

export interface ProviderKeys {
  readonly provider: string
  readonly issuer: string
  readonly keys: ReadonlyArray<VerificationKey>
}

/** Why one provider's keys could not be fetched; `message` is fit for an operator's log. */
export class JwksFetchError extends Data.TaggedError("JwksFetchError")<{
  readonly provider: string
  readonly url: string
  readonly reason: string
}> {
  override get message(): string {
    return `${this.url}: ${this.reason}`
  }
}

/** URLs are compared without trailing slashes (`https://gitlab.com/` is `https://gitlab.com`). */
export const withoutTrailingSlash = (url: string): string => url.replace(/\/+$/, "")

export const discoveryUrl = (provider: string): string =>
  `${withoutTrailingSlash(provider)}/.well-known/openid-configuration`

const Discovery = Schema.Struct({ issuer: Schema.String, jwks_uri: Schema.String })

const KeySetDocument = Schema.Struct({ keys: Schema.Array(Schema.Unknown) })

const RsaSigningJwk = Schema.Struct({
  kty: Schema.Literal("RSA"),
  n: Schema.String,
  e: Schema.String,
  kid: Schema.optional(Schema.String),
  use: Schema.optional(Schema.String),
  alg: Schema.optional(Schema.String),
})

const decodeRsaSigningJwk = Schema.decodeUnknownOption(RsaSigningJwk)

/** GETs a JSON document, failing on a timeout, a non-2xx status or a body of the wrong shape. */
const getJson = <S extends Schema.Decoder<unknown>>(
  provider: string,
  url: string,
  schema: S,
  timeout: Duration.Input,
) =>
  Effect.gen(function* () {
    const client = yield* HttpClient.HttpClient
    const response = yield* client.get(url, { headers: { accept: "application/json" } })
    if (response.status < 200 || response.status >= 300) {
      return yield* new JwksFetchError({ provider, url, reason: `HTTP status ${response.status}` })
    }
    return yield* HttpClientResponse.schemaBodyJson(schema)(response)
  }).pipe(
    Effect.timeoutOrElse({
      duration: timeout,
      orElse: () =>
        Effect.fail(
          new JwksFetchError({
            provider,
            url,
            reason: `no answer within ${Duration.format(Duration.fromInputUnsafe(timeout))}`,
          }),
        ),
    }),
    Effect.mapError((error) =>
      error instanceof JwksFetchError ? error : new JwksFetchError({
        provider,
        url,
        reason: error._tag === "SchemaError"
          ? `unexpected body: ${error.message}`
          : tlsProblem(error) ?? error.message,
      })
    ),
  )

/**
 * Imports the RS256 signing keys of a JWKS document. Other keys (EC, encryption keys, other
 * algorithms) can never verify an RS256 token, so they are skipped rather than failing the set.
 */
const importSigningKeys = (provider: string, issuer: string, jwks: ReadonlyArray<unknown>) =>
  Effect.forEach(jwks, (entry) => {
    const jwk = decodeRsaSigningJwk(entry)
    if (jwk._tag === "None") return Effect.succeed(undefined)
    const { n, e, kid, use, alg } = jwk.value
    if ((use !== undefined && use !== "sig") || (alg !== undefined && alg !== "RS256")) {
      return Effect.succeed(undefined)
    }
    return Effect.tryPromise(() => jose.importJWK({ kty: "RSA", n, e }, "RS256")).pipe(
      Effect.map((key): VerificationKey | undefined =>
        key instanceof Uint8Array ? undefined : { provider, issuer, kid, key }
      ),
      Effect.catch(() =>
        Effect.as(
          Effect.logWarning("skipping a JWKS key that cannot be imported", { provider, kid }),
          undefined,
        )
      ),
    )
  }).pipe(Effect.map((keys) => keys.filter((key) => key !== undefined)))

/** Fetches and imports the signing keys of one provider. */
export const fetchProviderKeys = (provider: string, timeout: Duration.Input) =>
  Effect.gen(function* () {
    const discovery = yield* getJson(provider, discoveryUrl(provider), Discovery, timeout)
    const jwksUrl = yield* Effect.try({
      try: () => new URL(discovery.jwks_uri, discoveryUrl(provider)).href,
      catch: () =>
        new JwksFetchError({
          provider,
          url: discoveryUrl(provider),
          reason: `invalid jwks_uri ${JSON.stringify(discovery.jwks_uri)}`,
        }),
    })
    const document = yield* getJson(provider, jwksUrl, KeySetDocument, timeout)
    const issuer = withoutTrailingSlash(discovery.issuer)
    const keys = yield* importSigningKeys(provider, issuer, document.keys)
    if (keys.length === 0) {
      return yield* new JwksFetchError({
        provider,
        url: jwksUrl,
        reason: "no RS256 signing key in the key set",
      })
    }
    const result: ProviderKeys = { provider, issuer, keys }
    return result
  })
