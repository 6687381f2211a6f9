/**
 * The finishing pass over the generated OpenAPI document, so the docs pages' "Try it out" works
 * and the document says what the server really does:
 * - protected operations (those that answer 401) declare the bearer scheme, the
 *   `X-Gitlab-Authentication-Type` header and their 422/429 answers;
 * - a schema's first example becomes its request body's example;
 * - objects allow unknown keys (the server ignores them), repeated `anyOf` members collapse, and
 *   the safe-integer bounds every `Int` carries are dropped (the pages prefilled them as values).
 *
 * Applied to whatever the API holds, so routes added later are covered with no change here.
 */
type Json = Record<string, unknown>

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value)

export const bearerSchemeName = "bearer"

const validationError = {
  type: "object",
  properties: {
    detail: {
      type: "array",
      items: {
        type: "object",
        properties: {
          type: { type: "string" },
          loc: { type: "array", items: { anyOf: [{ type: "string" }, { type: "integer" }] } },
          msg: { type: "string" },
        },
        required: ["type", "loc", "msg"],
      },
    },
  },
  required: ["detail"],
}

const detailMessage = { type: "object", properties: { detail: { type: "string" } }, required: ["detail"] }

const authenticationTypeHeader = {
  name: "X-Gitlab-Authentication-Type",
  in: "header",
  required: true,
  description: "Must be `oidc` on every request that carries a token.",
  schema: { type: "string", enum: ["oidc"], default: "oidc" },
  example: "oidc",
}

/** A copy of a JSON schema without the noise that misleads the docs pages. */
const tidySchema = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(tidySchema)
  if (!isObject(value)) return value
  const result: Json = {}
  for (const [key, child] of Object.entries(value)) {
    if (key === "additionalProperties" && child === false) continue
    if ((key === "minimum" || key === "maximum") && Math.abs(Number(child)) === Number.MAX_SAFE_INTEGER) {
      continue
    }
    if (key === "anyOf" && Array.isArray(child)) {
      const seen = new Set<string>()
      const members = child.map(tidySchema).filter((member) => {
        const text = JSON.stringify(member)
        return seen.has(text) ? false : (seen.add(text), true)
      })
      if (members.length === 1 && isObject(members[0])) Object.assign(result, members[0])
      else result[key] = members
      continue
    }
    result[key] = tidySchema(child)
  }
  return result
}

const resolve = (document: Json, schema: unknown): Json | undefined => {
  if (!isObject(schema)) return undefined
  const ref = schema["$ref"]
  if (typeof ref !== "string") return schema
  const components = isObject(document["components"]) ? document["components"] : {}
  const schemas = isObject(components["schemas"]) ? components["schemas"] : {}
  const target = schemas[ref.replace("#/components/schemas/", "")]
  return isObject(target) ? target : undefined
}

const polishOperation = (document: Json, operation: Json): void => {
  const responses = isObject(operation["responses"]) ? operation["responses"] : {}
  operation["responses"] = responses
  const requestBody = isObject(operation["requestBody"]) ? operation["requestBody"] : undefined
  if (requestBody !== undefined) {
    const content = isObject(requestBody["content"]) ? requestBody["content"] : {}
    for (const media of Object.values(content)) {
      if (!isObject(media) || media["example"] !== undefined) continue
      const examples = resolve(document, media["schema"])?.["examples"]
      if (Array.isArray(examples) && examples.length > 0) media["example"] = examples[0]
    }
    responses["422"] ??= {
      description: "The body does not match the schema: one entry per bad field",
      content: { "application/json": { schema: validationError } },
    }
    responses["413"] ??= {
      description: "The body is larger than the configured limit",
      content: { "application/json": { schema: detailMessage } },
    }
  }
  if (responses["401"] === undefined) return
  operation["security"] = [{ [bearerSchemeName]: [] }]
  const parameters = Array.isArray(operation["parameters"]) ? operation["parameters"] : []
  if (
    !parameters.some((parameter) =>
      isObject(parameter) && parameter["name"] === authenticationTypeHeader.name
    )
  ) {
    parameters.push(authenticationTypeHeader)
  }
  operation["parameters"] = parameters
  responses["429"] ??= {
    description: "The model provider refused the call for its rate limit",
    content: { "application/json": { schema: detailMessage } },
  }
}

/** The document the docs pages and `AIGW_FASTAPI__OPENAPI_URL` serve. */
export const polishOpenApi = (generated: Json): Json => {
  const document = tidySchema(generated) as Json
  const components = isObject(document["components"]) ? document["components"] : {}
  document["components"] = components
  const schemes = isObject(components["securitySchemes"]) ? components["securitySchemes"] : {}
  schemes[bearerSchemeName] = {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description:
      "A token GitLab issued for the AI gateway (OIDC); not needed when auth is bypassed (`npm run dev`).",
  }
  components["securitySchemes"] = schemes
  const paths = isObject(document["paths"]) ? document["paths"] : {}
  for (const item of Object.values(paths)) {
    if (!isObject(item)) continue
    for (const operation of Object.values(item)) if (isObject(operation)) polishOperation(document, operation)
  }
  return document
}
