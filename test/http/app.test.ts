import { afterEach, describe, expect, it } from "vitest"
import { startTestApp, type TestApp } from "../support/app.ts"
import { eventually } from "../support/eventually.ts"
import { startOidcProvider } from "../support/oidcProvider.ts"

let app: TestApp | undefined
const start = (env: Record<string, string> = {}) => (app = startTestApp(env))
afterEach(async () => {
  await app?.dispose()
  app = undefined
})

describe("monitoring", () => {
  it("answers liveness", async () => {
    const response = await start().request("/monitoring/healthz")
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ status: "ok" })
  })

  it("answers readiness when no check is pending", async () => {
    const response = await start().request("/monitoring/ready")
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ status: "ok" })
  })

  it("is not ready until the auth keys were fetched once", async () => {
    const provider = await startOidcProvider()
    try {
      provider.setMode("down")
      const app = start({
        AIGW_AUTH__BYPASS_EXTERNAL: "false",
        AIGW_GITLAB_URL: provider.url,
        AIGW_CUSTOMER_PORTAL_URL: "",
      })
      const notReady = await app.request("/monitoring/ready")
      expect(notReady.status).toBe(503)
      expect(await notReady.json()).toMatchObject({ status: "unavailable", checks: { jwks: false } })
      expect((await app.request("/monitoring/healthz")).status).toBe(200)
      provider.setMode("up")
      await eventually(async () => expect((await app.request("/monitoring/ready")).status).toBe(200))
    } finally {
      await provider.close()
    }
  })

  it("serves every route under /ai too", async () => {
    const response = await start().request("/ai/monitoring/healthz")
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ status: "ok" })
  })
})

describe("unknown routes and methods", () => {
  it("answers 404 JSON for an unknown path", async () => {
    const response = await start().request("/v9/nothing")
    expect(response.status).toBe(404)
    expect(response.headers.get("content-type")).toMatch(/application\/json/)
    expect(await response.json()).toEqual({ detail: "Not Found" })
  })

  it("answers 404 for /ai followed by an unknown path, and does not strip /air", async () => {
    const app = start()
    expect((await app.request("/ai/nothing")).status).toBe(404)
    expect((await app.request("/air/monitoring/healthz")).status).toBe(404)
  })

  it("answers 405 JSON for a known path with another method", async () => {
    const response = await start().request("/monitoring/healthz", { method: "DELETE" })
    expect(response.status).toBe(405)
    expect(await response.json()).toEqual({ detail: "Method Not Allowed" })
  })

  it("answers 405 under /ai as well", async () => {
    expect((await start().request("/ai/monitoring/ready", { method: "PUT" })).status).toBe(405)
  })
})

describe("request id and timing headers", () => {
  it("generates a request id and echoes it, with X-Process-Time in seconds", async () => {
    const response = await start().request("/monitoring/healthz")
    expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/)
    const processTime = Number(response.headers.get("x-process-time"))
    expect(processTime).toBeGreaterThanOrEqual(0)
    expect(processTime).toBeLessThan(5)
  })

  it("honours the incoming X-Request-ID", async () => {
    const response = await start().request("/monitoring/healthz", { headers: { "x-request-id": "req-123" } })
    expect(response.headers.get("x-request-id")).toBe("req-123")
  })

  it("replaces an X-Request-ID that could forge log lines", async () => {
    const response = await start().request("/monitoring/healthz", {
      headers: { "x-request-id": 'a b" injected' },
    })
    expect(response.headers.get("x-request-id")).not.toContain("injected")
  })

  it("puts both headers on error answers", async () => {
    const response = await start().request("/nothing")
    expect(response.headers.get("x-request-id")).toBeTruthy()
    expect(response.headers.get("x-process-time")).toBeTruthy()
  })
})

describe("CORS", () => {
  it("allows any origin on answers", async () => {
    const response = await start().request("/monitoring/healthz", {
      headers: { origin: "https://ide.example" },
    })
    expect(response.headers.get("access-control-allow-origin")).toBe("*")
  })

  it("answers a preflight for POST with any header", async () => {
    const response = await start().request("/v2/code/completions", {
      method: "OPTIONS",
      headers: {
        origin: "https://ide.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization,x-gitlab-authentication-type",
      },
    })
    expect(response.status).toBeLessThan(300)
    expect(response.headers.get("access-control-allow-origin")).toBe("*")
    expect(response.headers.get("access-control-allow-methods")).toContain("POST")
    expect(response.headers.get("access-control-allow-headers")).toBe(
      "authorization,x-gitlab-authentication-type",
    )
  })
})

describe("docs", () => {
  const docsEnv = {
    AIGW_FASTAPI__OPENAPI_URL: "/openapi.json",
    AIGW_FASTAPI__DOCS_URL: "/docs",
    AIGW_FASTAPI__REDOC_URL: "/redoc",
  }

  it("are off when their URLs are unset", async () => {
    const app = start()
    for (const path of ["/openapi.json", "/docs", "/redoc"]) {
      expect((await app.request(path)).status).toBe(404)
    }
  })

  it("serve the OpenAPI document generated from the API schemas", async () => {
    const response = await start(docsEnv).request("/openapi.json")
    expect(response.status).toBe(200)
    const document = await response.json() as { openapi: string; paths: Record<string, unknown> }
    expect(document.openapi).toMatch(/^3\./)
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(["/monitoring/healthz", "/monitoring/ready"]),
    )
  })

  it("serve an HTML docs page that needs no network, and redirect the second URL to it", async () => {
    const app = start(docsEnv)
    const response = await app.request("/docs")
    expect(response.status).toBe(200)
    expect(response.headers.get("content-type")).toMatch(/text\/html/)
    const html = await response.text()
    expect(html).toContain("aigw")
    expect(html).not.toMatch(/<script[^>]+src="https?:/)
    expect(html).toContain('"withDefaultFonts":false')
    const redoc = await app.request("/redoc", { redirect: "manual" })
    expect(redoc.status).toBe(307)
    expect(redoc.headers.get("location")).toBe("/docs")
  })

  it("serve the page itself at the second URL when the first is unset", async () => {
    const response = await start({ AIGW_FASTAPI__REDOC_URL: "/redoc" }).request("/redoc")
    expect(response.status).toBe(200)
    expect(await response.text()).toContain("createApiReference")
  })

  it("answer the browser's favicon request with 204 and no access line", async () => {
    const app = start(docsEnv)
    const response = await app.request("/favicon.ico")
    expect(response.status).toBe(204)
  })

  it("follow the configured URLs", async () => {
    const app = start({ AIGW_FASTAPI__OPENAPI_URL: "/api/spec.json" })
    expect((await app.request("/api/spec.json")).status).toBe(200)
    expect((await app.request("/openapi.json")).status).toBe(404)
  })
})

describe("access log", () => {
  it("writes one JSON line per request with the SPEC §7 fields", async () => {
    const app = start()
    await app.request("/nothing?x=1", {
      headers: {
        "user-agent": "gitlab-workhorse",
        "x-request-id": "corr-1",
        "x-gitlab-instance-id": "instance-ABC",
        "x-gitlab-global-user-id": "user-ABC",
        "x-gitlab-host-name": "gitlab.example.com",
        "x-gitlab-saas-namespace-ids": "1,2",
        "x-gitlab-saas-duo-pro-namespace-ids": "3",
        "x-gitlab-realm": "saas",
      },
    })
    const access = app.logs().filter((line) => line.logger === "api.access")
    expect(access).toHaveLength(1)
    expect(access[0]).toMatchObject({
      level: "info",
      logger: "api.access",
      correlation_id: "corr-1",
      url: "http://aigw.test/nothing?x=1",
      path: "/nothing",
      status_code: 404,
      method: "GET",
      http_version: "1.1",
      user_agent: "gitlab-workhorse",
      gitlab_instance_id: "instance-ABC",
      gitlab_global_user_id: "user-ABC",
      gitlab_host_name: "gitlab.example.com",
      gitlab_saas_namespace_ids: "1,2",
      gitlab_saas_duo_pro_namespace_ids: "3",
      gitlab_realm: "saas",
    })
    for (const field of ["timestamp", "event", "client_ip", "client_port", "duration_s", "cpu_s"]) {
      expect(access[0]).toHaveProperty(field)
    }
    expect(typeof access[0]!.duration_s).toBe("number")
  })

  it("leaves out monitoring and metrics paths", async () => {
    const app = start()
    await app.request("/monitoring/healthz")
    await app.request("/ai/monitoring/ready")
    await app.request("/metrics")
    await app.request("/other")
    expect(app.logs().filter((line) => line.logger === "api.access").map((line) => line.path)).toEqual([
      "/other",
    ])
  })

  it("is silent below the configured level", async () => {
    const app = start({ AIGW_LOGGING__LEVEL: "error" })
    await app.request("/nothing")
    expect(app.logs()).toEqual([])
  })
})
