/**
 * Token minting for tests: claims shaped like GitLab's (fixtures 20, 21) and the forged
 * tokens a gateway must refuse.
 */
import * as jose from "jose"

export const nowSeconds = () => Math.floor(Date.now() / 1000)

/**
 * Claims of a GitLab.com self-issued token (fixture 20) for `issuer`, valid for an hour.
 * An override set to `undefined` removes that claim.
 */
export const gitlabClaims = (
  issuer: string,
  overrides: Readonly<Record<string, unknown>> = {},
  now: number = nowSeconds(),
): jose.JWTPayload => {
  const claims: Record<string, unknown> = {
    jti: crypto.randomUUID(),
    aud: "gitlab-ai-gateway",
    iss: issuer,
    iat: now,
    nbf: now - 5,
    exp: now + 3600,
    gitlab_realm: "saas",
    scopes: ["code_suggestions"],
  }
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete claims[name]
    else claims[name] = value
  }
  return claims
}

/** Claims of a CustomersDot token of a self-managed instance (fixture 21). */
export const customersDotClaims = (issuer: string, overrides: Readonly<Record<string, unknown>> = {}) =>
  gitlabClaims(issuer, {
    sub: "8f6e4253-58ce-42b9-869c-97f5c2287ad2",
    gitlab_realm: "self-managed",
    exp: nowSeconds() + 3 * 24 * 3600,
    scopes: ["code_suggestions", "duo_chat"],
    ...overrides,
  })

/** An unsigned token (`alg: none`). */
export const unsecuredToken = (claims: jose.JWTPayload): string => new jose.UnsecuredJWT(claims).encode()

/**
 * A token "signed" with HMAC using a provider's public key as the secret: the classic attack
 * on verifiers that take the algorithm from the token.
 */
export const hs256Token = (claims: jose.JWTPayload, secret: string, kid?: string): Promise<string> =>
  new jose.SignJWT(claims)
    .setProtectedHeader(kid === undefined ? { alg: "HS256", typ: "JWT" } : { alg: "HS256", typ: "JWT", kid })
    .sign(new TextEncoder().encode(secret))

/** The headers GitLab sends with a token. */
export const authHeaders = (token: string): Record<string, string> => ({
  authorization: `Bearer ${token}`,
  "x-gitlab-authentication-type": "oidc",
})
