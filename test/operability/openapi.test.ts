/**
 * The OpenAPI document works in the docs pages' "Try it out": every request example is accepted,
 * the bearer scheme and the error answers are declared, and the schemas say what the server does.
 * Iterates over whatever the document holds, so routes added later are covered.
 */
import { afterAll, describe, expect, it } from "vitest"
import { postJson, startTestApp } from "../support/app.ts"

interface Operation {
  readonly requestBody?: { readonly content: Record<string, { readonly example?: unknown }> }
  readonly responses: Record<string, unknown>
  readonly security?: ReadonlyArray<Record<string, ReadonlyArray<string>>>
  readonly parameters?: ReadonlyArray<{ readonly name: string; readonly in: string }>
}
interface Document {
  readonly paths: Record<string, Record<string, Operation>>
  readonly components: { readonly securitySchemes: Record<string, { type: string; scheme?: string }> }
}

const app = startTestApp({
  AIGW_MOCK_MODEL_RESPONSES: "true",
  AIGW_FASTAPI__OPENAPI_URL: "/openapi.json",
})
afterAll(() => app.dispose())

const document = async () => (await (await app.request("/openapi.json")).json()) as Document

const operations = async () =>
  Object.entries((await document()).paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({ path, method, operation }))
  )

describe("OpenAPI document", () => {
  it("has a JSON example on every request body, and the gateway accepts each with 200", async () => {
    const withBodies = (await operations()).filter(({ operation }) => operation.requestBody !== undefined)
    expect(withBodies.length).toBeGreaterThanOrEqual(6)
    for (const { path, method, operation } of withBodies) {
      const example = operation.requestBody!.content["application/json"]?.example
      expect(example, `${method} ${path}`).toBeDefined()
      const response = await app.request(path, { ...postJson(example), method: method.toUpperCase() })
      expect(response.status, `${method} ${path}: ${await response.clone().text()}`).toBe(200)
    }
  })

  it("declares the bearer scheme, the authentication-type header and 401/403/422/429 on protected routes", async () => {
    const doc = await document()
    expect(doc.components.securitySchemes["bearer"]).toMatchObject({ type: "http", scheme: "bearer" })
    const completions = doc.paths["/v2/code/completions"]!["post"]!
    expect(completions.security).toEqual([{ bearer: [] }])
    expect(completions.parameters).toContainEqual(
      expect.objectContaining({ name: "X-Gitlab-Authentication-Type", in: "header" }),
    )
    expect(Object.keys(completions.responses)).toEqual(
      expect.arrayContaining(["200", "401", "403", "422", "429"]),
    )
    const healthz = doc.paths["/monitoring/healthz"]!["get"]!
    expect(healthz.security ?? []).toEqual([])
    expect(Object.keys(healthz.responses)).not.toContain("401")
  })

  it("allows unknown keys, lists each anyOf member once, and shows no _tag", async () => {
    const text = JSON.stringify(await document())
    expect(text).not.toContain('"additionalProperties":false')
    expect(text).not.toContain('{"type":"null"},{"type":"null"}')
    expect(text).not.toContain("_tag")
    expect(text).not.toContain("9007199254740991")
  })

  it("answers 503 readiness without _tag in the body", async () => {
    const strict = startTestApp({
      AIGW_AUTH__BYPASS_EXTERNAL: "false",
      AIGW_GITLAB_URL: "http://127.0.0.1:1",
      AIGW_CUSTOMER_PORTAL_URL: "http://127.0.0.1:1",
    })
    try {
      const response = await strict.request("/monitoring/ready")
      expect(response.status).toBe(503)
      const body = await response.json() as Record<string, unknown>
      expect(body).toMatchObject({ status: "unavailable" })
      expect(body).not.toHaveProperty("_tag")
    } finally {
      await strict.dispose()
    }
  })
})
