import { describe, expect, it } from "vitest"
import { OpenApi } from "effect/http-api"
import { TestApi } from "./harness.ts"

interface Response {
  readonly content?: Record<string, { readonly schema: { readonly $ref?: string } }>
}

describe("OpenAPI of a protected group", () => {
  const spec = OpenApi.fromApi(TestApi) as unknown as {
    readonly paths: Record<string, Record<string, { readonly responses: Record<string, Response> }>>
    readonly components: { readonly schemas: Record<string, unknown> }
  }
  const schemaOf = (response: Response | undefined) => {
    const ref = response?.content?.["application/json"]?.schema.$ref ?? ""
    return spec.components.schemas[ref.replace("#/components/schemas/", "")]
  }

  it("documents the 401 and 403 bodies of protected routes, and neither for the probe", () => {
    const code = spec.paths["/test/code"]!.post!.responses
    expect(Object.keys(code)).toEqual(expect.arrayContaining(["200", "401", "403"]))
    expect(schemaOf(code["401"])).toMatchObject({
      type: "object",
      properties: { error: { type: "string" } },
      required: ["error"],
    })
    expect(JSON.stringify(schemaOf(code["401"]))).not.toContain("_tag")
    expect(schemaOf(code["403"])).toMatchObject({ properties: { detail: { enum: ["Forbidden"] } } })
    const ready = spec.paths["/test/ready"]!.get!.responses
    expect(Object.keys(ready)).not.toContain("401")
    expect(Object.keys(ready)).not.toContain("403")
  })
})
