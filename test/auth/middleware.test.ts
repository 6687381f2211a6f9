/**
 * Contract tests of the authentication middleware: a test-only API group protected by
 * `Authentication`, served with the real request pipeline through `HttpRouter.toWebHandler`,
 * with tokens signed by fake OIDC providers on 127.0.0.1.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { type OidcProvider, startOidcProvider } from "../support/oidcProvider.ts"
import { authHeaders, customersDotClaims, gitlabClaims } from "../support/tokens.ts"
import { eventually } from "../support/eventually.ts"
import { type AuthTestApp, fastRetries, startAuthTestApp } from "./harness.ts"

const post = (headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body: "{}",
})

const expectJson = async (response: Response, status: number, body: unknown) => {
  expect(response.status).toBe(status)
  expect(response.headers.get("content-type")).toMatch(/^application\/json/)
  expect(await response.json()).toEqual(body)
}

describe("authentication middleware (contract)", () => {
  let gitlab: OidcProvider
  let customers: OidcProvider
  let app: AuthTestApp

  beforeAll(async () => {
    gitlab = await startOidcProvider()
    customers = await startOidcProvider()
    app = startAuthTestApp({ env: { AIGW_GITLAB_URL: gitlab.url, AIGW_CUSTOMER_PORTAL_URL: customers.url } })
  })
  afterAll(async () => {
    await app.dispose()
    await gitlab.close()
    await customers.close()
  })

  it("is not ready until the keys are loaded, and the probe needs no token", async () => {
    await eventually(async () => {
      const response = await app.request("/test/ready")
      expect(response.status).toBe(200)
      return ((await response.json()) as { ready: boolean }).ready
    })
    const response = await app.request("/test/ready")
    expect(await response.json()).toEqual({ ready: true, checks: { jwks: true } })
  })

  it("answers 401 without an Authorization header", async () => {
    const response = await app.request("/test/code", post({ "x-gitlab-authentication-type": "oidc" }))
    await expectJson(response, 401, { error: "No authorization header presented" })
    expect(response.headers.get("x-request-id")).toBeTruthy()
  })

  it("answers 401 for a scheme other than bearer", async () => {
    const token = await gitlab.sign(gitlabClaims(gitlab.issuer))
    for (const authorization of [`Basic ${token}`, `Token ${token}`, token]) {
      const response = await app.request(
        "/test/code",
        post({ authorization, "x-gitlab-authentication-type": "oidc" }),
      )
      await expectJson(response, 401, { error: "Invalid authorization header" })
    }
  })

  it("accepts the bearer scheme in any case", async () => {
    const token = await gitlab.sign(gitlabClaims(gitlab.issuer), { kid: false })
    for (const scheme of ["bearer", "BEARER", "Bearer"]) {
      const response = await app.request(
        "/test/code",
        post({ authorization: `${scheme} ${token}`, "x-gitlab-authentication-type": "oidc" }),
      )
      expect(response.status).toBe(200)
    }
  })

  it("answers 401 when X-Gitlab-Authentication-Type is missing or not oidc", async () => {
    const token = await gitlab.sign(gitlabClaims(gitlab.issuer))
    for (const type of [undefined, "jwt", "OIDC ", ""]) {
      const headers: Record<string, string> = { authorization: `Bearer ${token}` }
      if (type !== undefined) headers["x-gitlab-authentication-type"] = type
      const response = await app.request("/test/code", post(headers))
      await expectJson(response, 401, { error: "Invalid authentication token type - only OIDC is supported" })
    }
  })

  it("answers 401 Forbidden by auth provider for a bad token", async () => {
    const wrongAudience = await gitlab.sign(gitlabClaims(gitlab.issuer, { aud: "someone-else" }))
    for (const authorization of ["Bearer", "Bearer ", "Bearer garbage", `Bearer ${wrongAudience}`]) {
      const response = await app.request(
        "/test/code",
        post({ authorization, "x-gitlab-authentication-type": "oidc" }),
      )
      await expectJson(response, 401, { error: "Forbidden by auth provider" })
    }
  })

  it("serves a GitLab.com token without kid and gives the handler its identity", async () => {
    const token = await gitlab.sign(gitlabClaims(gitlab.issuer), { kid: false })
    const response = await app.request("/test/code", post(authHeaders(token)))
    await expectJson(response, 200, {
      subject: null,
      issuer: gitlab.issuer,
      gitlabRealm: "saas",
      scopes: ["code_suggestions"],
      isDebug: false,
    })
  })

  it("serves a CustomersDot token, also under the /ai prefix", async () => {
    const token = await customers.sign(customersDotClaims(customers.issuer))
    const response = await app.request("/ai/test/both", post(authHeaders(token)))
    await expectJson(response, 200, {
      subject: "8f6e4253-58ce-42b9-869c-97f5c2287ad2",
      issuer: customers.issuer,
      gitlabRealm: "self-managed",
      scopes: ["code_suggestions", "duo_chat"],
      isDebug: false,
    })
  })

  it("answers 403 when a required scope is missing", async () => {
    const token = await gitlab.sign(gitlabClaims(gitlab.issuer, { scopes: ["duo_chat"] }))
    await expectJson(await app.request("/test/code", post(authHeaders(token))), 403, { detail: "Forbidden" })
    await expectJson(await app.request("/test/both", post(authHeaders(token))), 403, { detail: "Forbidden" })
    const noScopes = await gitlab.sign(gitlabClaims(gitlab.issuer, { scopes: undefined }))
    await expectJson(await app.request("/test/code", post(authHeaders(noScopes))), 403, {
      detail: "Forbidden",
    })
    // A route without a requirement only needs a valid token.
    expect((await app.request("/test/any", post(authHeaders(noScopes)))).status).toBe(200)
  })

  it("accepts either scope of an `a|b` entry", async () => {
    for (const scopes of [["duo_chat"], ["documentation_search"], ["documentation_search", "duo_chat"]]) {
      const token = await gitlab.sign(gitlabClaims(gitlab.issuer, { scopes }))
      expect((await app.request("/test/either", post(authHeaders(token)))).status).toBe(200)
    }
    const neither = await gitlab.sign(gitlabClaims(gitlab.issuer, { scopes: ["code_suggestions"] }))
    await expectJson(await app.request("/test/either", post(authHeaders(neither))), 403, {
      detail: "Forbidden",
    })
  })

  it("reads a group's scopes unless the endpoint declares its own", async () => {
    const chat = await gitlab.sign(gitlabClaims(gitlab.issuer, { scopes: ["duo_chat"] }))
    const code = await gitlab.sign(gitlabClaims(gitlab.issuer, { scopes: ["code_suggestions"] }))
    expect((await app.request("/test/chat", post(authHeaders(chat)))).status).toBe(200)
    expect((await app.request("/test/chat", post(authHeaders(code)))).status).toBe(403)
    expect((await app.request("/test/chat-code", post(authHeaders(code)))).status).toBe(200)
    expect((await app.request("/test/chat-code", post(authHeaders(chat)))).status).toBe(403)
  })

  it("never writes tokens or Authorization headers to the logs", async () => {
    const good = await gitlab.sign(gitlabClaims(gitlab.issuer))
    const bad = await gitlab.sign(gitlabClaims(gitlab.issuer, { exp: 1 }))
    expect((await app.request("/test/code", post(authHeaders(good)))).status).toBe(200)
    expect((await app.request("/test/code", post(authHeaders(bad)))).status).toBe(401)
    const logs = app.rawLogs()
    expect(logs).not.toContain(good.split(".")[2])
    expect(logs).not.toContain(bad.split(".")[1])
    expect(logs).not.toMatch(/bearer /i)
    // The refusal itself is logged (at debug) with its reason.
    expect(
      app.logs().some((record) =>
        record.event === "authentication refused" && String(record.reason).includes("exp")
      ),
    ).toBe(true)
    // The access log records the 401.
    expect(app.logs().some((record) => record.logger === "api.access" && record.status_code === 401)).toBe(
      true,
    )
  })
})

describe("authentication middleware with every provider down (contract)", () => {
  let gitlab: OidcProvider
  let customers: OidcProvider
  let app: AuthTestApp | undefined

  beforeAll(async () => {
    gitlab = await startOidcProvider()
    customers = await startOidcProvider()
    gitlab.setMode("down")
    customers.setMode("down")
  })
  afterEach(async () => {
    await app?.dispose()
    app = undefined
  })
  afterAll(async () => {
    await gitlab.close()
    await customers.close()
  })

  it("answers 401 JSON (never 500), stays not ready, and logs the providers as down", async () => {
    app = startAuthTestApp({ env: { AIGW_GITLAB_URL: gitlab.url, AIGW_CUSTOMER_PORTAL_URL: customers.url } })
    const token = await gitlab.sign(gitlabClaims(gitlab.issuer))
    const response = await app.request("/test/code", post(authHeaders(token)))
    await expectJson(response, 401, { error: "Forbidden by auth provider" })
    expect(await (await app.request("/test/ready")).json()).toEqual({ ready: false, checks: { jwks: false } })
    const error = app.logs().find((record) => record.level === "error")
    expect(error?.event).toContain(gitlab.url)
    expect(error?.event).toContain(customers.url)
  })

  it("starts serving once a provider comes back, without a restart", async () => {
    app = startAuthTestApp({
      env: { AIGW_GITLAB_URL: gitlab.url, AIGW_CUSTOMER_PORTAL_URL: customers.url },
      jwks: { providers: [gitlab.url, customers.url], ...fastRetries },
    })
    const token = await gitlab.sign(gitlabClaims(gitlab.issuer))
    expect((await app.request("/test/code", post(authHeaders(token)))).status).toBe(401)
    gitlab.setMode("up")
    const running = app
    await eventually(async () =>
      ((await (await running.request("/test/ready")).json()) as { ready: boolean }).ready
    )
    expect((await app.request("/test/code", post(authHeaders(token)))).status).toBe(200)
    gitlab.setMode("down")
  })
})

describe("authentication bypass (contract)", () => {
  let app: AuthTestApp

  beforeAll(() => {
    // Providers that do not exist: bypass must never fetch them.
    app = startAuthTestApp({
      env: {
        AIGW_AUTH__BYPASS_EXTERNAL: "true",
        AIGW_GITLAB_URL: "http://127.0.0.1:1",
        AIGW_CUSTOMER_PORTAL_URL: "http://127.0.0.1:1",
      },
    })
  })
  afterAll(() => app.dispose())

  it("serves every request as the debug user with every scope, and warns once", async () => {
    for (const path of ["/test/code", "/test/both", "/test/either", "/test/chat"]) {
      const response = await app.request(path, post())
      await expectJson(response, 200, {
        subject: "debug-user",
        issuer: "aigw-auth-bypass",
        gitlabRealm: null,
        scopes: [],
        isDebug: true,
      })
    }
    expect(await (await app.request("/test/ready")).json()).toEqual({ ready: true, checks: { jwks: true } })
    const warnings = app.logs().filter((record) =>
      String(record.event).includes("AIGW_AUTH__BYPASS_EXTERNAL")
    )
    expect(warnings).toHaveLength(1)
    expect(warnings[0]?.level).toBe("warning")
  })
})
