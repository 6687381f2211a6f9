/**
 * Direct access through the whole app: a GitLab token is exchanged at
 * `POST /v1/code/user_access_token` for a token aigw signs, which then works on the two
 * completion routes and nowhere else. Real RS256 tokens from a loopback OIDC provider, real
 * RSA signing keys passed PEM-encoded through the configuration, mock models.
 */
import * as jose from "jose"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Gateway, startGateway } from "../support/gateway.ts"
import { startOidcProvider } from "../support/oidcProvider.ts"
import { authHeaders, gitlabClaims, nowSeconds } from "../support/tokens.ts"
import { makeRsaKeyPair, pemBodyLines, type PemKeyPair } from "./keys.ts"

const tokenRoute = "/v1/code/user_access_token"
const userId = "777"
const instanceId = "instance-ABC"
const realm = "saas"

/** The headers GitLab sends with the exchange, besides the token. */
const boundHeaders = {
  "x-gitlab-global-user-id": userId,
  "x-gitlab-instance-id": instanceId,
  "x-gitlab-realm": realm,
}

const completionBody = JSON.stringify({
  current_file: { file_name: "app.py", content_above_cursor: "def f(", content_below_cursor: "" },
})

const post = (gateway: Gateway, path: string, headers: Record<string, string>, body?: string) =>
  gateway.request(path, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    ...(body === undefined ? {} : { body }),
  })

/** A GitLab.com token with these claims, as GitLab sends it to the exchange. */
const gitlabToken = (gateway: Gateway, overrides: Record<string, unknown> = {}) =>
  gateway.oidc.sign(gitlabClaims(gateway.oidc.issuer, overrides), { kid: false })

const exchange = async (
  gateway: Gateway,
  headers: Record<string, string> = boundHeaders,
  path = tokenRoute,
) => post(gateway, path, { ...authHeaders(await gitlabToken(gateway)), ...headers })

const issuedToken = async (gateway: Gateway): Promise<string> => {
  const response = await exchange(gateway)
  expect(response.status, await response.clone().text()).toBe(200)
  return ((await response.json()) as { token: string }).token
}

/** A request as the Language Server sends it in direct-access mode. */
const complete = (gateway: Gateway, token: string, path = "/v2/completions", headers = boundHeaders) =>
  post(gateway, path, { ...authHeaders(token), ...headers }, completionBody)

const expectJson = async (response: Response, status: number, body: unknown) => {
  expect(response.status).toBe(status)
  expect(await response.json()).toEqual(body)
}

const signingEnv = (signing: PemKeyPair, validation?: string): Record<string, string> => ({
  AIGW_MOCK_MODEL_RESPONSES: "true",
  AIGW_SELF_SIGNED_JWT__SIGNING_KEY: signing.privatePem,
  ...(validation === undefined ? {} : { AIGW_SELF_SIGNED_JWT__VALIDATION_KEY: validation }),
})

let keyA: PemKeyPair
let keyB: PemKeyPair
let gateway: Gateway
const gateways: Array<Gateway> = []

const start = async (env: Record<string, string>) => {
  const started = await startGateway(env)
  gateways.push(started)
  return started
}

beforeAll(async () => {
  ;[keyA, keyB] = await Promise.all([makeRsaKeyPair(), makeRsaKeyPair()])
  gateway = await start(signingEnv(keyA))
})
afterAll(async () => {
  await Promise.all(gateways.map((started) => started.close()))
})

describe("the direct-access flow", () => {
  it("exchanges a GitLab token for a signed one-hour token that serves the completion routes", async () => {
    const before = nowSeconds()
    const response = await exchange(gateway)
    expect(response.status).toBe(200)
    const body = (await response.json()) as { token: string; expires_at: number }
    expect(Object.keys(body).sort()).toEqual(["expires_at", "token"])

    const publicKey = await jose.importSPKI(keyA.publicPem, "RS256")
    const { payload, protectedHeader } = await jose.jwtVerify(body.token, publicKey, {
      algorithms: ["RS256"],
      issuer: "gitlab-ai-gateway",
      audience: "gitlab-ai-gateway",
    })
    expect(protectedHeader.alg).toBe("RS256")
    expect(payload).toMatchObject({
      sub: userId,
      gitlab_realm: realm,
      gitlab_instance_id: instanceId,
      scopes: ["code_suggestions"],
    })
    expect(payload.iat).toBeGreaterThanOrEqual(before)
    expect(payload.nbf).toBe(payload.iat)
    expect(payload.exp).toBe(payload.iat! + 3600)
    expect(body.expires_at).toBe(payload.exp)
    expect(payload.jti).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
    expect(payload).not.toHaveProperty("duo_seat_count")

    for (const path of ["/v2/completions", "/v2/code/completions", "/ai/v2/code/completions"]) {
      const answer = await complete(gateway, body.token, path)
      expect(answer.status, `${path}: ${await answer.clone().text()}`).toBe(200)
      expect(((await answer.json()) as { choices: Array<unknown> }).choices).toHaveLength(1)
    }
  })

  it("refuses the issued token on every other route with 403 as a missing scope", async () => {
    const token = await issuedToken(gateway)
    await expectJson(
      await post(gateway, "/v2/code/generations", { ...authHeaders(token), ...boundHeaders }, completionBody),
      403,
      { detail: "Forbidden" },
    )
    for (const path of ["/v3/code/completions", "/v1/x-ray/libraries", "/v1/chat/agent"]) {
      const response = await post(gateway, path, { ...authHeaders(token), ...boundHeaders }, "{}")
      expect([path, response.status]).toEqual([path, 403])
    }
  })

  it("never exchanges a token it issued itself", async () => {
    const token = await issuedToken(gateway)
    await expectJson(await post(gateway, tokenRoute, { ...authHeaders(token), ...boundHeaders }), 403, {
      detail: "Unauthorized to create user access token for code suggestions",
    })
  })

  it("is served under /ai and /auth too, and /auth serves nothing else", async () => {
    expect((await exchange(gateway, boundHeaders, `/ai${tokenRoute}`)).status).toBe(200)
    expect((await exchange(gateway, boundHeaders, `/auth${tokenRoute}`)).status).toBe(200)
    const token = await issuedToken(gateway)
    expect((await complete(gateway, token, "/auth/v2/completions")).status).toBe(404)
  })

  it("copies duo_seat_count from the GitLab token", async () => {
    const response = await post(gateway, tokenRoute, {
      ...authHeaders(await gitlabToken(gateway, { duo_seat_count: "42" })),
      ...boundHeaders,
    })
    const { token } = (await response.json()) as { token: string }
    expect(jose.decodeJwt(token).duo_seat_count).toBe("42")
  })
})

describe("user_access_token errors", () => {
  it("403 without code_suggestions; complete_code is enough", async () => {
    const chatOnly = await gitlabToken(gateway, { scopes: ["duo_chat"] })
    await expectJson(await post(gateway, tokenRoute, { ...authHeaders(chatOnly), ...boundHeaders }), 403, {
      detail: "Unauthorized to create user access token for code suggestions",
    })
    const completeCode = await gitlabToken(gateway, { scopes: ["complete_code"] })
    expect((await post(gateway, tokenRoute, { ...authHeaders(completeCode), ...boundHeaders })).status).toBe(
      200,
    )
  })

  it("400 for each missing header, in order: user id, instance id, realm", async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{}, "Missing X-Gitlab-Global-User-Id header"],
      [
        { "x-gitlab-instance-id": instanceId, "x-gitlab-realm": realm },
        "Missing X-Gitlab-Global-User-Id header",
      ],
      [{ "x-gitlab-global-user-id": userId }, "Missing X-Gitlab-Instance-Id header"],
      [
        { "x-gitlab-global-user-id": userId, "x-gitlab-instance-id": instanceId },
        "Missing X-Gitlab-Realm header",
      ],
      [{ ...boundHeaders, "x-gitlab-realm": "" }, "Missing X-Gitlab-Realm header"],
    ]
    for (const [headers, detail] of cases) {
      await expectJson(await exchange(gateway, headers), 400, { detail })
    }
  })

  it("401 as every protected route: no header, another scheme, a bad token", async () => {
    await expectJson(await post(gateway, tokenRoute, { ...boundHeaders }), 401, {
      error: "No authorization header presented",
    })
    const token = await gitlabToken(gateway)
    await expectJson(
      await post(gateway, tokenRoute, {
        authorization: `Basic ${token}`,
        "x-gitlab-authentication-type": "oidc",
        ...boundHeaders,
      }),
      401,
      { error: "Invalid authorization header" },
    )
    await expectJson(
      await post(gateway, tokenRoute, { authorization: `Bearer ${token}`, ...boundHeaders }),
      401,
      {
        error: "Invalid authentication token type - only OIDC is supported",
      },
    )
    const expired = await gitlabToken(gateway, { exp: nowSeconds() - 3600 })
    await expectJson(await post(gateway, tokenRoute, { ...authHeaders(expired), ...boundHeaders }), 401, {
      error: "Forbidden by auth provider",
    })
  })

  it("503 when no signing key is configured, and tokens claiming aigw are refused there", async () => {
    const unconfigured = await start({ AIGW_MOCK_MODEL_RESPONSES: "true" })
    await expectJson(await exchange(unconfigured), 503, {
      detail: "Direct access is not configured: set AIGW_SELF_SIGNED_JWT__SIGNING_KEY",
    })
    const token = await issuedToken(gateway)
    await expectJson(await complete(unconfigured, token), 401, { error: "Forbidden by auth provider" })
  })
})

describe("key rotation", () => {
  it("accepts tokens of the previous key given as the validation key, and signs with the new one", async () => {
    const oldToken = await issuedToken(gateway)
    const rotated = await start(signingEnv(keyB, keyA.privatePem))
    expect((await complete(rotated, oldToken)).status).toBe(200)

    const newToken = await issuedToken(rotated)
    await expect(jose.jwtVerify(newToken, await jose.importSPKI(keyB.publicPem, "RS256"))).resolves
      .toBeDefined()
    expect(jose.decodeProtectedHeader(newToken).kid).not.toBe(jose.decodeProtectedHeader(oldToken).kid)
    expect((await complete(rotated, newToken)).status).toBe(200)
    // The replica not yet rotated does not know the new key.
    await expectJson(await complete(gateway, newToken), 401, { error: "Forbidden by auth provider" })
  })

  it("takes the previous key's public half as the validation key", async () => {
    const oldToken = await issuedToken(gateway)
    const rotated = await start(signingEnv(keyB, keyA.publicPem))
    expect((await complete(rotated, oldToken)).status).toBe(200)
  })

  it("refuses the previous key's tokens once the validation key is removed", async () => {
    const oldToken = await issuedToken(gateway)
    const done = await start(signingEnv(keyB))
    await expectJson(await complete(done, oldToken), 401, { error: "Forbidden by auth provider" })
  })
})

describe("who may sign a token that claims to be aigw's", () => {
  it("an OIDC provider's key never validates a token with iss gitlab-ai-gateway", async () => {
    const claims = {
      ...gitlabClaims("gitlab-ai-gateway", { sub: userId }),
      gitlab_instance_id: instanceId,
    }
    for (const kid of [true, false]) {
      const forged = await gateway.oidc.sign(claims, { kid })
      await expectJson(await complete(gateway, forged), 401, { error: "Forbidden by auth provider" })
    }
  })

  it("a provider whose discovery names gitlab-ai-gateway as its issuer cannot sign such tokens", async () => {
    const impostor = await startOidcProvider({ issuer: () => "gitlab-ai-gateway" })
    try {
      const target = await start({ ...signingEnv(keyA), AIGW_CUSTOMER_PORTAL_URL: impostor.url })
      const forged = await impostor.sign(gitlabClaims("gitlab-ai-gateway", { sub: userId }))
      await expectJson(await complete(target, forged), 401, { error: "Forbidden by auth provider" })
    } finally {
      await impostor.close()
    }
  })

  it("aigw's signing key never validates a token that claims an OIDC provider as issuer", async () => {
    const key = await jose.importPKCS8(keyA.privatePem, "RS256")
    const forged = await new jose.SignJWT(gitlabClaims(gateway.oidc.issuer))
      .setProtectedHeader({ alg: "RS256", typ: "JWT" })
      .sign(key)
    await expectJson(await complete(gateway, forged), 401, { error: "Forbidden by auth provider" })
  })
})

describe("header mismatches", () => {
  it("401 when X-Gitlab-Realm contradicts gitlab_realm, for any token", async () => {
    const token = await gitlabToken(gateway, { gitlab_realm: "saas" })
    await expectJson(
      await complete(gateway, token, "/v2/code/completions", {
        ...boundHeaders,
        "x-gitlab-realm": "self-managed",
      }),
      401,
      { error: "Header mismatch 'X-Gitlab-Realm'" },
    )
    const issued = await issuedToken(gateway)
    await expectJson(
      await complete(gateway, issued, "/v2/completions", {
        ...boundHeaders,
        "x-gitlab-realm": "self-managed",
      }),
      401,
      { error: "Header mismatch 'X-Gitlab-Realm'" },
    )
  })

  it("401 when X-Gitlab-Instance-Id contradicts gitlab_instance_id, for any token", async () => {
    const token = await gitlabToken(gateway, { gitlab_instance_id: "instance-1" })
    await expectJson(
      await complete(gateway, token, "/v2/code/completions", {
        ...boundHeaders,
        "x-gitlab-instance-id": "other",
      }),
      401,
      { error: "Header mismatch 'X-Gitlab-Instance-Id'" },
    )
    const issued = await issuedToken(gateway)
    await expectJson(
      await complete(gateway, issued, "/v2/completions", {
        ...boundHeaders,
        "x-gitlab-instance-id": "other",
      }),
      401,
      { error: "Header mismatch 'X-Gitlab-Instance-Id'" },
    )
  })

  it("401 when X-Gitlab-Global-User-Id contradicts the sub of a self-issued token only", async () => {
    const issued = await issuedToken(gateway)
    await expectJson(
      await complete(gateway, issued, "/v2/completions", {
        ...boundHeaders,
        "x-gitlab-global-user-id": "778",
      }),
      401,
      { error: "Header mismatch 'X-Gitlab-Global-User-Id'" },
    )
    const oidcToken = await gitlabToken(gateway, { sub: "instance-uuid" })
    expect(
      (await complete(gateway, oidcToken, "/v2/code/completions", {
        ...boundHeaders,
        "x-gitlab-global-user-id": "778",
      }))
        .status,
    ).toBe(200)
  })

  it("an absent header is not a mismatch", async () => {
    const issued = await issuedToken(gateway)
    expect((await complete(gateway, issued, "/v2/completions", {} as typeof boundHeaders)).status).toBe(200)
    const token = await gitlabToken(gateway, { gitlab_instance_id: "instance-1" })
    expect((await complete(gateway, token, "/v2/completions", {} as typeof boundHeaders)).status).toBe(200)
  })
})

describe("Bypass-Auth", () => {
  it("means nothing without AIGW_AUTH__BYPASS_EXTERNAL_WITH_HEADER", async () => {
    await expectJson(
      await post(gateway, "/v2/code/generations", { "bypass-auth": "true" }, completionBody),
      401,
      { error: "No authorization header presented" },
    )
    expect(gateway.logs().some((line) => String(line.event).includes("Bypass-Auth"))).toBe(false)
  })

  it("serves the request as the debug user with the setting, and warns at start", async () => {
    const testing = await start({
      AIGW_MOCK_MODEL_RESPONSES: "true",
      AIGW_AUTH__BYPASS_EXTERNAL_WITH_HEADER: "true",
    })
    expect((await post(testing, "/v2/code/generations", { "bypass-auth": "true" }, completionBody)).status)
      .toBe(200)
    await expectJson(
      await post(testing, "/v2/code/generations", { "bypass-auth": "false" }, completionBody),
      401,
      { error: "No authorization header presented" },
    )
    const warnings = testing.logs().filter((line) =>
      line.level === "warning" && String(line.event).includes("AIGW_AUTH__BYPASS_EXTERNAL_WITH_HEADER")
    )
    expect(warnings).toHaveLength(1)
  })
})

describe("secrets in logs", () => {
  it("neither key nor an issued token appears in any log line", async () => {
    const rotated = await start({ ...signingEnv(keyB, keyA.privatePem), AIGW_LOGGING__LEVEL: "debug" })
    const token = await issuedToken(rotated)
    await complete(rotated, token)
    await complete(rotated, token, "/v2/code/generations")
    const logs = JSON.stringify(rotated.logs())
    expect(logs.length).toBeGreaterThan(0)
    for (const line of [...pemBodyLines(keyA.privatePem), ...pemBodyLines(keyB.privatePem)]) {
      expect(logs).not.toContain(line)
    }
    expect(logs).not.toContain(token.split(".")[2])
  })
})
