/**
 * Verifying one JWT against a key set we hold (SPEC §2), with jose: RS256 only, audience
 * `gitlab-ai-gateway`, `exp` required, `nbf`/`iat` not in the future, all within the clock
 * tolerance, and `iss` equal to the issuer of the provider whose key verified the signature.
 *
 * Only keys of the provider whose issuer the token claims are tried: a key of another
 * provider could never produce an acceptable token, so GitLab keys never validate
 * CustomersDot tokens or the reverse. Without a `kid` (GitLab.com tokens) each of those keys
 * is tried in turn.
 */
import * as Effect from "effect/Effect"
import * as jose from "jose"
import type { IdentityShape } from "./Identity.ts"
import type { KeySet } from "./Jwks.ts"
import { type VerificationKey, withoutTrailingSlash } from "./oidcDiscovery.ts"
import { selfIssuer } from "./TokenAuthority.ts"

export const gatewayAudience = "gitlab-ai-gateway"

export interface VerificationPolicy {
  readonly audience: string
  /** Seconds of clock skew allowed on `exp`, `nbf` and `iat`. */
  readonly clockToleranceSeconds: number
}

/** What the token says before any check; a token that cannot even be read is refused. */
export interface ParsedToken {
  readonly kid: string | undefined
  readonly issuer: string
}

export type Outcome =
  | { readonly _tag: "Verified"; readonly identity: IdentityShape; readonly key: VerificationKey }
  /** Refused for good: fetching keys again cannot change the answer. */
  | { readonly _tag: "Rejected"; readonly reason: string }
  /** No key we hold can verify it; fresh keys might (a rotation). */
  | { readonly _tag: "NoKey"; readonly reason: string }

const rejected = (reason: string): Outcome => ({ _tag: "Rejected", reason })

/** Reads the header and the issuer, and refuses every algorithm but RS256 before any crypto. */
export const parseToken = (token: string): ParsedToken | { readonly rejected: string } => {
  let header: jose.ProtectedHeaderParameters
  let claims: jose.JWTPayload
  try {
    header = jose.decodeProtectedHeader(token)
    claims = jose.decodeJwt(token)
  } catch {
    return { rejected: "the token is not a well-formed JWT" }
  }
  if (header.alg !== "RS256") return { rejected: `algorithm ${JSON.stringify(header.alg)} is not accepted` }
  if (typeof claims.iss !== "string" || claims.iss === "") return { rejected: "the token has no iss claim" }
  return {
    kid: typeof header.kid === "string" ? header.kid : undefined,
    issuer: withoutTrailingSlash(claims.iss),
  }
}

const nonEmptyString = (value: unknown) => typeof value === "string" && value !== "" ? value : undefined

const identityOf = (payload: jose.JWTPayload, issuer: string): IdentityShape => {
  const scopes = Array.isArray(payload.scopes)
    ? payload.scopes.filter((scope): scope is string => typeof scope === "string")
    : []
  const seats = payload.duo_seat_count
  return {
    subject: typeof payload.sub === "string" ? payload.sub : undefined,
    issuer,
    gitlabRealm: typeof payload.gitlab_realm === "string" ? payload.gitlab_realm : undefined,
    scopes: new Set(scopes),
    expiresAt: payload.exp!,
    gitlabInstanceId: nonEmptyString(payload.gitlab_instance_id),
    duoSeatCount: typeof seats === "number" || (typeof seats === "string" && seats.trim() !== "")
      ? seats
      : undefined,
    isSelfIssued: issuer === selfIssuer,
    isDebug: false,
  }
}

const isSignatureFailure = (error: unknown) =>
  error instanceof jose.errors.JOSEError && error.code === "ERR_JWS_SIGNATURE_VERIFICATION_FAILED"

const describe = (error: unknown) =>
  error instanceof jose.errors.JOSEError ? `${error.code}: ${error.message}` : String(error)

/** Tries the candidate keys of the token's issuer, in order, until one verifies it. */
export const verifyWithKeys = (
  token: string,
  parsed: ParsedToken,
  keySet: KeySet,
  policy: VerificationPolicy,
  nowMillis: number,
): Effect.Effect<Outcome> => {
  const candidates = keySet.keys.filter((key) =>
    key.issuer === parsed.issuer && (parsed.kid === undefined || key.kid === parsed.kid)
  )
  if (candidates.length === 0) {
    if (parsed.kid !== undefined && keySet.kids.has(parsed.kid)) {
      return Effect.succeed(rejected(`key ${parsed.kid} does not belong to issuer ${parsed.issuer}`))
    }
    return Effect.succeed({
      _tag: "NoKey",
      reason: parsed.kid === undefined
        ? `no key of issuer ${parsed.issuer}`
        : `unknown key ${parsed.kid} for issuer ${parsed.issuer}`,
    })
  }
  const currentDate = new Date(nowMillis)
  const nowSeconds = Math.floor(nowMillis / 1000)
  return Effect.promise(async (): Promise<Outcome> => {
    for (const key of candidates) {
      try {
        const { payload } = await jose.jwtVerify(token, key.key, {
          algorithms: ["RS256"],
          audience: policy.audience,
          requiredClaims: ["exp"],
          clockTolerance: policy.clockToleranceSeconds,
          currentDate,
        })
        // jose checks `iat` only when a maximum token age is set.
        if (typeof payload.iat === "number" && payload.iat > nowSeconds + policy.clockToleranceSeconds) {
          return rejected("the iat claim is in the future")
        }
        return { _tag: "Verified", identity: identityOf(payload, key.issuer), key }
      } catch (error) {
        if (isSignatureFailure(error)) continue
        return rejected(describe(error))
      }
    }
    return parsed.kid === undefined
      ? { _tag: "NoKey", reason: `no key of issuer ${parsed.issuer} verifies the signature` }
      : rejected(`the signature does not verify with key ${parsed.kid}`)
  })
}
