/**
 * A fake OIDC provider for tests: a real `node:http` server on 127.0.0.1 (port 0) serving
 * discovery and JWKS as GitLab does (fixtures 22, 23), with its own RSA keys made by jose.
 * Tests sign tokens with it, rotate its keys, and take it down, independently of the code
 * under test.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { Effect } from "effect"
import * as jose from "jose"

export interface SigningKey {
  readonly kid: string
  readonly privateKey: CryptoKey
  readonly publicJwk: jose.JWK
  /** The public key as PEM (SPKI), for the HS256-with-the-public-key attack. */
  readonly publicPem: string
}

/** `up`: answers; `down`: 503 on every path; `hang`: never answers. */
export type ProviderMode = "up" | "down" | "hang"

export interface OidcProviderOptions {
  /** The `issuer` of the discovery document; default the server's URL. */
  readonly issuer?: (url: string) => string
  /** Signing keys at start; default 1. */
  readonly keys?: number
}

export interface OidcProvider {
  /** `http://127.0.0.1:<port>`: the value for AIGW_GITLAB_URL / AIGW_CUSTOMER_PORTAL_URL. */
  readonly url: string
  readonly issuer: string
  /** The keys published, first the one `sign` uses by default. */
  readonly keys: () => ReadonlyArray<SigningKey>
  /** Requests received so far, per document. */
  readonly hits: { discovery: number; jwks: number }
  readonly setMode: (mode: ProviderMode) => void
  /** Status answered for the discovery document while `up` (default 200). */
  readonly setDiscoveryStatus: (status: number) => void
  /** Makes and publishes a new key; it becomes the default signing key. */
  readonly rotate: () => Promise<SigningKey>
  /** Stops publishing a key (a revoked key). */
  readonly retire: (kid: string) => void
  /**
   * Signs claims with RS256. `kid: false` leaves the `kid` out (GitLab.com tokens);
   * `key` picks another signing key (including one never published).
   */
  readonly sign: (
    claims: jose.JWTPayload,
    options?: { readonly kid?: boolean; readonly key?: SigningKey },
  ) => Promise<string>
  readonly close: () => Promise<void>
}

export const makeSigningKey = async (): Promise<SigningKey> => {
  const { privateKey, publicKey } = await jose.generateKeyPair("RS256", { extractable: true })
  const jwk = await jose.exportJWK(publicKey)
  const kid = await jose.calculateJwkThumbprint(jwk)
  return {
    kid,
    privateKey,
    publicJwk: { ...jwk, kid, use: "sig", alg: "RS256" },
    publicPem: await jose.exportSPKI(publicKey),
  }
}

export const startOidcProvider = async (options: OidcProviderOptions = {}): Promise<OidcProvider> => {
  let keys: Array<SigningKey> = []
  for (let i = 0; i < (options.keys ?? 1); i++) keys.push(await makeSigningKey())
  let mode: ProviderMode = "up"
  let discoveryStatus = 200
  const hits = { discovery: 0, jwks: 0 }
  let url = ""
  let issuer = ""

  const json = (response: ServerResponse, status: number, body: unknown) => {
    response.writeHead(status, { "content-type": "application/json" })
    response.end(JSON.stringify(body))
  }

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const path = request.url ?? "/"
    if (path === "/.well-known/openid-configuration") hits.discovery++
    else if (path === "/oauth/discovery/keys") hits.jwks++
    if (mode === "hang") return
    if (mode === "down") return json(response, 503, { message: "503 Service Unavailable" })
    if (path === "/.well-known/openid-configuration") {
      if (discoveryStatus !== 200) return json(response, discoveryStatus, { error: "unavailable" })
      return json(response, 200, {
        issuer,
        authorization_endpoint: `${url}/oauth/authorize`,
        token_endpoint: `${url}/oauth/token`,
        jwks_uri: `${url}/oauth/discovery/keys`,
        response_types_supported: ["code"],
        id_token_signing_alg_values_supported: ["RS256"],
      })
    }
    if (path === "/oauth/discovery/keys") {
      return json(response, 200, { keys: keys.map((key) => key.publicJwk) })
    }
    json(response, 404, { error: "404 Not Found" })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  issuer = options.issuer?.(url) ?? url

  return {
    url,
    issuer,
    keys: () => keys,
    hits,
    setMode: (next) => {
      mode = next
    },
    setDiscoveryStatus: (status) => {
      discoveryStatus = status
    },
    rotate: async () => {
      const key = await makeSigningKey()
      keys = [key, ...keys]
      return key
    },
    retire: (kid) => {
      keys = keys.filter((key) => key.kid !== kid)
    },
    sign: (claims, signOptions = {}) => {
      const key = signOptions.key ?? keys[0]!
      const header: jose.JWTHeaderParameters = signOptions.kid === false
        ? { alg: "RS256", typ: "JWT" }
        : { alg: "RS256", typ: "JWT", kid: key.kid }
      return new jose.SignJWT(claims).setProtectedHeader(header).sign(key.privateKey)
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** The provider as a scoped resource for Effect tests. */
export const oidcProvider = (options?: OidcProviderOptions) =>
  Effect.acquireRelease(
    Effect.promise(() => startOidcProvider(options)),
    (provider) => Effect.promise(() => provider.close()),
  )
