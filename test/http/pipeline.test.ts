/**
 * The request pipeline of src/http/middleware/pipeline.ts around a test-only API with a JSON
 * body, so that validation, body limits, defects and client addresses are exercised exactly as
 * the product's routes will be.
 */
import { NodeFileSystem } from "@effect/platform-node"
import { Context, Effect, Layer, Schema } from "effect"
import { HttpRouter, HttpServer, HttpServerRequest } from "effect/http"
import { HttpApi, HttpApiBuilder, HttpApiEndpoint, HttpApiGroup } from "effect/http-api"
import { afterEach, describe, expect, it } from "vitest"
import { makeRuntimeLayer } from "../../src/app.ts"
import { AppConfig } from "../../src/config/AppConfig.ts"
import { WebPeerAddress } from "../../src/http/middleware/clientAddress.ts"
import { requestPipeline } from "../../src/http/middleware/pipeline.ts"
import { LogSink } from "../../src/observability/Logger.ts"
import { BoundedString, LaxBoolean, LaxInt, TrimmedString } from "../../src/schema/Lax.ts"
import { postJson } from "../support/app.ts"

const EchoBody = Schema.Struct({
  file_name: TrimmedString(10),
  content: BoundedString(20),
  count: Schema.optional(LaxInt),
  stream: Schema.optional(LaxBoolean),
  nested: Schema.optional(Schema.Struct({ items: Schema.Array(LaxInt) })),
})

class TestGroup extends HttpApiGroup.make("test").add(
  HttpApiEndpoint.post("echo", "/echo", { payload: EchoBody, success: Schema.Unknown }),
  HttpApiEndpoint.get("boom", "/boom", { success: Schema.Unknown }),
  HttpApiEndpoint.get("whoami", "/whoami", { success: Schema.Unknown }),
) {}
class TestApi
  extends HttpApi.make("test").add(TestGroup).annotate(HttpApi.PayloadParseOptions, { errors: "all" }) {}

const TestHandlers = HttpApiBuilder.group(TestApi, "test", (handlers) =>
  handlers.handleAll({
    echo: ({ payload }) => Effect.succeed(payload),
    boom: () => Effect.die(new Error("a bug")),
    whoami: () =>
      Effect.map(Effect.service(HttpServerRequest.HttpServerRequest), (request) => ({
        remoteAddress: request.remoteAddress._tag === "Some" ? request.remoteAddress.value : null,
      })),
  }))

let disposers: Array<() => Promise<void>> = []
afterEach(async () => {
  await Promise.all(disposers.map((dispose) => dispose()))
  disposers = []
})

const start = (env: Record<string, string> = {}) => {
  const lines: Array<string> = []
  const config = AppConfig.layerTest(env)
  const routes = Layer.unwrap(Effect.map(Effect.service(AppConfig), (config) =>
    Layer.mergeAll(
      HttpApiBuilder.layer(TestApi).pipe(Layer.provide(TestHandlers)),
      requestPipeline(config, new Set(["/echo", "/boom", "/whoami"])),
    )))
  const { handler, dispose } = HttpRouter.toWebHandler(
    routes.pipe(
      Layer.provideMerge(
        makeRuntimeLayer({ config, fileSystem: NodeFileSystem.layer, logSink: LogSink.layerMemory(lines) }),
      ),
      Layer.provide(HttpServer.layerServices),
    ),
    { disableLogger: true },
  )
  disposers.push(dispose)
  return {
    request: (path: string, init?: RequestInit, peer?: string) =>
      handler(
        new Request(new URL(path, "http://aigw.test"), init),
        peer === undefined ? Context.empty() : Context.make(WebPeerAddress, { hostname: peer, port: 40000 }),
      ),
    logs: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  }
}

const validBody = { file_name: "a.py", content: "x" }

describe("request bodies", () => {
  it("passes a valid body to the handler, ignoring unknown keys", async () => {
    const response = await start().request(
      "/echo",
      postJson({ ...validBody, intent: "completion", extra: [1] }),
    )
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual(validBody)
  })

  it("coerces as laxly as the original: integral strings, boolean words", async () => {
    const response = await start().request(
      "/echo",
      postJson({
        ...validBody,
        file_name: "  b.py ",
        count: "12",
        stream: "True",
        nested: { items: ["1", 2] },
      }),
    )
    expect(await response.json()).toEqual({
      file_name: "b.py",
      content: "x",
      count: 12,
      stream: true,
      nested: { items: [1, 2] },
    })
  })

  it("answers 422 naming each bad field with a body location", async () => {
    const response = await start().request(
      "/echo",
      postJson({ file_name: "x".repeat(11), count: "1.5", nested: { items: [1, "no"] } }),
    )
    expect(response.status).toBe(422)
    const { detail } = await response.json() as {
      detail: Array<{ type: string; loc: Array<unknown>; msg: string }>
    }
    const locations = detail.map((entry) => entry.loc)
    expect(locations).toEqual(expect.arrayContaining([
      ["body", "file_name"],
      ["body", "content"],
      ["body", "count"],
      ["body", "nested", "items", 1],
    ]))
    expect(detail.find((entry) => entry.loc[1] === "content")).toMatchObject({
      type: "missing",
      msg: "Field required",
    })
    for (const entry of detail) expect(entry.msg.length).toBeGreaterThan(0)
  })

  it("does not coerce strings from numbers", async () => {
    const response = await start().request("/echo", postJson({ file_name: 42, content: "x" }))
    expect(response.status).toBe(422)
    const { detail } = await response.json() as { detail: Array<{ loc: Array<unknown> }> }
    expect(detail[0]!.loc).toEqual(["body", "file_name"])
  })

  it("answers 422 for malformed JSON", async () => {
    const response = await start().request("/echo", postJson('{"file_name": '))
    expect(response.status).toBe(422)
    expect(await response.json()).toEqual({
      detail: [{ type: "json_invalid", loc: ["body"], msg: expect.stringContaining("JSON") }],
    })
  })

  it("answers 422 for an empty body", async () => {
    const response = await start().request("/echo", postJson(""))
    expect(response.status).toBe(422)
    const { detail } = await response.json() as { detail: Array<{ type: string; loc: Array<unknown> }> }
    expect(detail[0]).toMatchObject({ type: "missing", loc: ["body"] })
  })

  it("answers 422 for a JSON value that is not an object", async () => {
    expect((await start().request("/echo", postJson("[1,2]"))).status).toBe(422)
    expect((await start().request("/echo", postJson("null"))).status).toBe(422)
  })

  it("answers 422 for a wrong content type, naming it", async () => {
    const response = await start().request("/echo", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify(validBody),
    })
    expect(response.status).toBe(422)
    const { detail } = await response.json() as { detail: Array<{ msg: string }> }
    expect(detail[0]!.msg).toContain("text/plain")
  })
})

describe("body size limit", () => {
  it("answers 413 when Content-Length is over the limit, without reading the body", async () => {
    const response = await start({ AIGW_HTTP__MAX_BODY_BYTES: "100" }).request("/echo", {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": "5000" },
      body: JSON.stringify({ ...validBody, padding: "x".repeat(4950) }),
    })
    expect(response.status).toBe(413)
    expect(await response.json()).toEqual({ detail: expect.stringContaining("100 bytes") })
  })

  it("answers 413 when a body without Content-Length grows over the limit", async () => {
    const chunks = [JSON.stringify(validBody).slice(0, -1), `, "padding": "${"x".repeat(300)}"}`]
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift()
        if (next === undefined) controller.close()
        else controller.enqueue(new TextEncoder().encode(next))
      },
    })
    const response = await start({ AIGW_HTTP__MAX_BODY_BYTES: "100" }).request("/echo", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      duplex: "half",
    } as RequestInit)
    expect(response.status).toBe(413)
  })

  it("accepts a body at the limit", async () => {
    const body = JSON.stringify(validBody)
    const response = await start({ AIGW_HTTP__MAX_BODY_BYTES: String(body.length) }).request(
      "/echo",
      postJson(body),
    )
    expect(response.status).toBe(200)
  })
})

describe("internal defects", () => {
  it("answer 500 JSON, log the stack with the correlation id, and the app keeps serving", async () => {
    const app = start()
    const response = await app.request("/boom", { headers: { "x-request-id": "defect-1" } })
    expect(response.status).toBe(500)
    expect(await response.json()).toEqual({ detail: "Internal Server Error" })
    const errorLine = app.logs().find((line) => line.level === "error")
    expect(errorLine).toMatchObject({ correlation_id: "defect-1" })
    expect(String(errorLine!.exception)).toContain("a bug")
    expect((await app.request("/echo", postJson(validBody))).status).toBe(200)
  })
})

describe("client address", () => {
  it("believes X-Forwarded-For from a trusted proxy (loopback by default)", async () => {
    const response = await start().request(
      "/whoami",
      { headers: { "x-forwarded-for": "203.0.113.9" } },
      "127.0.0.1",
    )
    expect(await response.json()).toEqual({ remoteAddress: "203.0.113.9" })
  })

  it("ignores X-Forwarded-For from any other peer", async () => {
    const response = await start().request(
      "/whoami",
      { headers: { "x-forwarded-for": "203.0.113.9" } },
      "198.51.100.4",
    )
    expect(await response.json()).toEqual({ remoteAddress: "198.51.100.4" })
  })

  it("follows AIGW_HTTP__TRUSTED_PROXIES", async () => {
    const app = start({ AIGW_HTTP__TRUSTED_PROXIES: "10.0.0.0/8" })
    const fromProxy = await app.request(
      "/whoami",
      { headers: { "x-forwarded-for": "203.0.113.9" } },
      "10.1.2.3",
    )
    expect(await fromProxy.json()).toEqual({ remoteAddress: "203.0.113.9" })
    const fromLoopback = await app.request(
      "/whoami",
      { headers: { "x-forwarded-for": "203.0.113.9" } },
      "127.0.0.1",
    )
    expect(await fromLoopback.json()).toEqual({ remoteAddress: "127.0.0.1" })
  })

  it("logs the believed client address", async () => {
    const app = start()
    await app.request("/whoami", { headers: { "x-forwarded-for": "203.0.113.9" } }, "127.0.0.1")
    expect(app.logs().find((line) => line.logger === "api.access")).toMatchObject({
      client_ip: "203.0.113.9",
    })
  })
})
