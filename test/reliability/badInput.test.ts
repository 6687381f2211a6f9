/**
 * Bad input, fuzzed (SPEC §8): malformed bodies, wrong types, huge strings, invalid UTF-8, deep
 * nesting, wrong content types and header garbage sent to every route of the whole app
 * (in-process, real middleware and auth, mock models). Never a 5xx, never a hang: every
 * rejection is a JSON 4xx whose `detail` names the problem, and the app keeps serving.
 */
import fc from "fast-check"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Gateway, startGateway } from "../support/gateway.ts"

let gateway: Gateway
let valid: Record<string, string>
beforeAll(async () => {
  gateway = await startGateway({ AIGW_MOCK_MODEL_RESPONSES: "true", AIGW_LOGGING__LEVEL: "warning" })
  valid = await gateway.headers(["code_suggestions", "duo_chat"])
})
afterAll(async () => {
  await gateway.close()
})

const routes = [
  "/v2/completions",
  "/v2/code/completions",
  "/v2/code/generations",
  "/v3/code/completions",
  "/v1/chat/agent",
  "/v1/x-ray/libraries",
  "/ai/v2/code/completions",
  "/ai/v1/chat/agent",
] as const

const currentFile = {
  file_name: "app.py",
  content_above_cursor: "def add(x, y):\n    return ",
  content_below_cursor: "",
}

/** A valid body per route, which the fuzzers mutate. */
const validBody = (route: string): Record<string, unknown> => {
  if (route.endsWith("/v3/code/completions")) {
    return { prompt_components: [{ type: "code_editor_completion", payload: currentFile }] }
  }
  if (route.endsWith("/v1/chat/agent")) {
    return {
      prompt_components: [{
        type: "prompt",
        metadata: { source: "GitLab EE", version: "17.0.0" },
        payload: { content: "\n\nHuman: hi\n\nAssistant:", provider: "anthropic", model: "claude-2.1" },
      }],
      stream: false,
    }
  }
  if (route.endsWith("/v1/x-ray/libraries")) {
    return {
      prompt_components: [{
        type: "x_ray_package_file_prompt",
        payload: { prompt: "\n\nHuman: list\n\nAssistant:", provider: "anthropic", model: "claude-2.0" },
      }],
    }
  }
  return { current_file: currentFile }
}

const timeoutMs = 10_000

interface Answer {
  readonly status: number
  readonly contentType: string
  readonly text: string
}

/** Sends a request and reads the whole answer, failing if that takes longer than the timeout. */
const send = async (route: string, init: RequestInit): Promise<Answer> => {
  let timer: ReturnType<typeof setTimeout> | undefined
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
  })
  try {
    return await Promise.race([
      (async () => {
        const response = await gateway.request(route, init)
        return {
          status: response.status,
          contentType: response.headers.get("content-type") ?? "",
          text: await response.text(),
        }
      })(),
      hung,
    ])
  } finally {
    clearTimeout(timer)
  }
}

/** The detail of a 4xx names the problem: a non-empty message, or entries with `loc` and `msg`. */
const namesTheProblem = (detail: unknown): boolean => {
  if (typeof detail === "string") return detail.length > 0
  return Array.isArray(detail) && detail.length > 0 &&
    detail.every((entry) =>
      typeof entry === "object" && entry !== null && Array.isArray(entry.loc) && entry.loc[0] === "body" &&
      typeof entry.msg === "string" && entry.msg.length > 0
    )
}

/**
 * Never a 5xx; a rejection is JSON naming the problem: `detail` as FastAPI answered, or for the
 * auth failures (401/403) `error`, as the original's auth middleware answered (docs/auth.md). `rejected`: the input is certainly bad, so
 * it must be a 4xx (one of `statuses` when given).
 */
const expectHandled = (answer: Answer, rejected: boolean, statuses?: ReadonlyArray<number>) => {
  const context = `${answer.status} ${answer.text.slice(0, 300)}`
  expect(answer.status, context).toBeLessThan(500)
  if (rejected) expect(answer.status, context).toBeGreaterThanOrEqual(400)
  if (statuses !== undefined) expect(statuses, context).toContain(answer.status)
  if (answer.status >= 400) {
    expect(answer.contentType, context).toContain("application/json")
    const body = JSON.parse(answer.text) as { detail?: unknown; error?: unknown }
    const auth = answer.status === 401 || answer.status === 403
    expect(namesTheProblem(auth && body.detail === undefined ? body.error : body.detail), context).toBe(true)
  }
}

const post = (body: BodyInit, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { ...valid, ...headers },
  body,
})

const route = fc.constantFrom(...routes)
const runs = (numRuns: number) => ({ numRuns, endOnFailure: true })

/** Any JSON value, nested a little, with odd strings. */
const jsonValue = fc.jsonValue({ maxDepth: 4 })

/** Sets `value` at a path of keys in a copy of `body` (creating objects on the way). */
const setAt = (body: unknown, path: ReadonlyArray<string>, value: unknown): unknown => {
  if (path.length === 0) return value
  const base = typeof body === "object" && body !== null && !Array.isArray(body)
    ? body as Record<string, unknown>
    : {}
  const [key, ...rest] = path
  return { ...base, [key!]: setAt(base[key!], rest, value) }
}

/** Every key path of a body, objects and the first element of arrays walked into. */
const pathsOf = (value: unknown, prefix: Array<string> = []): Array<Array<string>> => {
  if (Array.isArray(value)) return value.length === 0 ? [] : pathsOf(value[0], prefix)
  if (typeof value !== "object" || value === null) return []
  return Object.entries(value).flatMap((
    [key, inner],
  ) => [[...prefix, key], ...pathsOf(inner, [...prefix, key])])
}

describe("fuzzed bodies", () => {
  it("malformed JSON is a 422 naming the JSON problem", async () => {
    const malformed = fc.oneof(
      fc.string({ maxLength: 200 }),
      jsonValue.map((value) => JSON.stringify(value)).chain((text) =>
        fc.nat({ max: Math.max(0, text.length - 1) }).map((cut) => text.slice(0, cut))
      ),
      fc.constantFrom("{", "}", "[", '{"current_file":', "nul", "{'a': 1}", '{"a":1,}', "\u0000", "\ufeff{}"),
    ).filter((text) => {
      try {
        JSON.parse(text)
        return false
      } catch {
        return true
      }
    })
    await fc.assert(
      fc.asyncProperty(route, malformed, async (path, text) => {
        expectHandled(await send(path, post(text)), true, [422])
      }),
      runs(150),
    )
  })

  it("any JSON value as the body, or inside a valid body, is never a 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(route, jsonValue, async (path, value) => {
        const rejected = typeof value !== "object" || value === null || Array.isArray(value)
        expectHandled(await send(path, post(JSON.stringify(value))), rejected, rejected ? [422] : undefined)
      }),
      runs(100),
    )
    await fc.assert(
      fc.asyncProperty(
        route.chain((path) => fc.tuple(fc.constant(path), fc.constantFrom(...pathsOf(validBody(path))))),
        fc.oneof(jsonValue, fc.constantFrom(null, -1, 1e308, -0, "", [], {}, true, "12", 2 ** 53 + 1)),
        async ([path, keys], value) => {
          expectHandled(await send(path, post(JSON.stringify(setAt(validBody(path), keys, value)))), false)
        },
      ),
      runs(200),
    )
  })

  it("huge strings are refused with the field named, or 413 over the body limit", async () => {
    await fc.assert(
      fc.asyncProperty(
        route.chain((path) => fc.tuple(fc.constant(path), fc.constantFrom(...pathsOf(validBody(path))))),
        fc.constantFrom(100_001, 400_001, 1_000_000),
        fc.constantFrom("x", "é", "😀", "\u0000", "\\"),
        async ([path, keys], length, unit) => {
          const body = JSON.stringify(setAt(validBody(path), keys, unit.repeat(length)))
          expectHandled(await send(path, post(body)), false)
        },
      ),
      runs(30),
    )
    const overLimit = await send(
      "/v2/code/completions",
      post(`{"current_file":"${"x".repeat(8 * 2 ** 20)}"}`),
    )
    expectHandled(overLimit, true, [413])
  })

  it("invalid UTF-8 is never a 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(
        route,
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        fc.boolean(),
        async (path, bytes, insideJson) => {
          // Lone continuation bytes, truncated sequences and overlongs, raw or inside a JSON string.
          const garbage = Uint8Array.from([0xc3, ...bytes, 0xff, 0xe2, 0x82])
          const body = insideJson
            ? Uint8Array.from([
              ...new TextEncoder().encode('{"current_file":{"file_name":"a.py","content_above_cursor":"'),
              ...garbage.filter((byte) => byte !== 0x22 && byte !== 0x5c && byte >= 0x20),
              ...new TextEncoder().encode('","content_below_cursor":""}}'),
            ])
            : garbage
          expectHandled(await send(path, post(body)), false)
        },
      ),
      runs(100),
    )
  })

  it("deep nesting is refused, never a stack overflow", async () => {
    await fc.assert(
      fc.asyncProperty(
        route,
        fc.constantFrom(100, 1_000, 10_000, 100_000, 1_000_000),
        fc.constantFrom("array", "object", "inField"),
        async (path, depth, shape) => {
          const nested = shape === "object"
            ? '{"a":'.repeat(depth) + "1" + "}".repeat(depth)
            : "[".repeat(depth) + "]".repeat(depth)
          const body = shape === "inField"
            ? `{"current_file":{"file_name":"a.py","content_above_cursor":${nested},"content_below_cursor":""},"prompt_components":${nested}}`
            : nested
          expectHandled(await send(path, post(body)), true)
        },
      ),
      runs(40),
    )
  })

  it("a content type other than JSON is a 422 naming it", async () => {
    const contentType = fc.oneof(
      fc.constantFrom(
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
        "application/octet-stream",
        "",
        "application/jsonx",
        "json",
        ";;;",
      ),
      fc.stringMatching(/^[a-z]{1,10}\/[a-z+.-]{1,20}$/).filter((type) => !type.includes("json")),
    )
    await fc.assert(
      fc.asyncProperty(route, contentType, async (path, type) => {
        const answer = await send(path, post(JSON.stringify(validBody(path)), { "content-type": type }))
        expectHandled(answer, true, [415, 422])
      }),
      runs(60),
    )
  })
})

describe("fuzzed headers", () => {
  /** Header values the Fetch API can carry: visible ASCII and spaces, no line breaks. */
  const headerValue = fc.oneof(
    fc.stringMatching(/^[\x21-\x7e][\x20-\x7e]{0,300}$/),
    fc.constantFrom("Bearer", "Bearer ", "Bearer a.b.c", "Basic dXNlcjpwYXNz", "bearer x", "Bearer \x7e\x7e"),
  )

  it("garbage in the auth headers is a 401 or 403 JSON, never a 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(
        route,
        fc.record({
          authorization: fc.option(headerValue, { nil: undefined }),
          "x-gitlab-authentication-type": fc.option(fc.oneof(headerValue, fc.constant("oidc")), {
            nil: undefined,
          }),
        }),
        async (path, garbage) => {
          const headers: Record<string, string> = { "content-type": "application/json" }
          for (const [name, value] of Object.entries(garbage)) if (value !== undefined) headers[name] = value
          const answer = await send(path, { method: "POST", headers, body: JSON.stringify(validBody(path)) })
          expectHandled(answer, true, [401, 403])
        },
      ),
      runs(120),
    )
  })

  it("garbage in other headers is never a 5xx", async () => {
    const name = fc.constantFrom(
      "x-request-id",
      "x-gitlab-instance-id",
      "x-gitlab-global-user-id",
      "x-gitlab-realm",
      "x-gitlab-host-name",
      "x-gitlab-saas-namespace-ids",
      "x-gitlab-saas-duo-pro-namespace-ids",
      "x-forwarded-for",
      "user-agent",
      "accept",
      "accept-encoding",
      "x-gitlab-feature-enabled-by-namespace-ids",
      "origin",
    )
    await fc.assert(
      fc.asyncProperty(route, fc.dictionary(name, headerValue, { maxKeys: 5 }), async (path, extra) => {
        expectHandled(await send(path, post(JSON.stringify(validBody(path)), extra)), false)
      }),
      runs(120),
    )
  })
})

describe("after the fuzzing", () => {
  it("the app still serves valid requests on every route", async () => {
    for (const path of routes) {
      const answer = await send(path, post(JSON.stringify(validBody(path))))
      expect(answer.status, `${path}: ${answer.text.slice(0, 300)}`).toBe(200)
    }
  })
})
