/**
 * The access log line's model and auth fields, the debug step logs with the correlation id, and
 * the guarantee that no token, Authorization header or API key reaches any log line, at debug
 * level, whatever the route or outcome.
 */
import { afterEach, describe, expect, it } from "vitest"
import { eventually } from "../support/eventually.ts"
import * as anthropic from "../support/fakes/anthropic.ts"
import { gate, sendSse, status } from "../support/fakes/server.ts"
import * as vertex from "../support/fakes/vertex.ts"
import { type Gateway, legacyModels, startGateway } from "../support/gateway.ts"

let gateway: Gateway | undefined
afterEach(async () => {
  await gateway?.close()
  gateway = undefined
})

const completion = {
  current_file: {
    file_name: "app.py",
    content_above_cursor: "def f(x):\n    return ",
    content_below_cursor: "\n",
  },
}
const accessLines = (app: Gateway) => app.logs().filter((line) => line.logger === "api.access")

describe("access log fields", () => {
  it("carry the model, language, inference duration and auth outcome", async () => {
    gateway = await startGateway(legacyModels())
    gateway.vertex.enqueue(vertex.predict("x"))
    await gateway.post("/v2/code/completions", completion)
    expect(accessLines(gateway)[0]).toMatchObject({
      status_code: 200,
      model_engine: "vertex-ai",
      model_name: "code-gecko@002",
      lang: "python",
      inference_duration_s: expect.any(Number),
      auth_outcome: "authenticated",
      auth_realm: "saas",
    })
    expect(accessLines(gateway)[0]).not.toHaveProperty("model_error")
  })

  it("name the model error kind", async () => {
    gateway = await startGateway(legacyModels())
    gateway.vertex.enqueue(status(500), status(500))
    await gateway.post("/v2/code/completions", completion)
    expect(accessLines(gateway)[0]).toMatchObject({ model_error: "upstream_500", model_engine: "vertex-ai" })
  })

  it("say why a request was refused", async () => {
    gateway = await startGateway(legacyModels())
    await gateway.request("/v2/code/completions", { method: "POST", body: JSON.stringify(completion) })
    await gateway.post("/v2/code/completions", completion, ["duo_chat"])
    expect(accessLines(gateway).map((line) => [line.status_code, line.auth_outcome])).toEqual([
      [401, "unauthenticated"],
      [403, "forbidden"],
    ])
  })

  it("of a stream are written when the stream ends", async () => {
    gateway = await startGateway(legacyModels())
    const rest = gate()
    gateway.anthropic.enqueue((_, res) => sendSse(res, anthropic.completionStream(["a", rest, "b"])))
    const response = await gateway.post("/v2/code/generations", {
      ...completion,
      prompt_version: 2,
      prompt: "\n\nHuman: x\n\nAssistant:",
      model_provider: "anthropic",
      model_name: "claude-2.1",
      stream: true,
    })
    const reader = response.body!.getReader()
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("a")
    expect(accessLines(gateway)).toEqual([])
    rest.open()
    while (!(await reader.read()).done) { /* drain */ }
    // The line is written as the stream finishes, just after its last byte.
    await eventually(() =>
      expect(accessLines(gateway!)).toEqual([
        expect.objectContaining({
          status_code: 200,
          model_name: "claude-2.1",
          inference_duration_s: expect.any(Number),
        }),
      ])
    )
  })
})

describe("debug step logs", () => {
  it("show inputs, prompt, and raw and processed completion, each with the correlation id", async () => {
    gateway = await startGateway(legacyModels())
    gateway.vertex.enqueue(vertex.predict("x\n\n\ndef other():\n    pass"))
    await gateway.request("/v2/code/completions", {
      method: "POST",
      headers: { ...(await gateway.headers()), "x-request-id": "debug-corr" },
      body: JSON.stringify(completion),
    })
    const lines = gateway.logs().filter((line) =>
      line.correlation_id === "debug-corr" && line.level === "debug"
    )
    const events = lines.map((line) => line.event)
    expect(events).toEqual(expect.arrayContaining([
      "completion request",
      "completion prompt",
      "model answered",
      "post-processed",
    ]))
    expect(lines.find((line) => line.event === "completion request")).toMatchObject({
      prefix: "def f(x):\n    return ",
    })
    expect(lines.find((line) => line.event === "model answered")).toMatchObject({
      completion: "x\n\n\ndef other():\n    pass",
    })
  })
})

describe("secrets in logs", () => {
  it("never appear, at debug level, on any route or outcome", async () => {
    gateway = await startGateway({ ...legacyModels(), AIGW_LOGGING__LEVEL: "debug" })
    const headers = await gateway.headers(["code_suggestions", "duo_chat"])
    const token = headers.authorization!.slice("Bearer ".length)
    gateway.vertex.enqueue(vertex.predict("x"), status(500), status(500))
    gateway.anthropic.enqueue(anthropic.completion("y"), status(401), status(401))
    const post = (path: string, body: unknown, extra: Record<string, string> = {}) =>
      gateway!.request(path, {
        method: "POST",
        headers: { ...headers, ...extra },
        body: JSON.stringify(body),
      })
    const chat = {
      prompt_components: [{
        type: "prompt",
        metadata: { source: "t", version: "1" },
        payload: { content: "hi", model: "claude-2.1" },
      }],
    }
    await post("/v2/code/completions", completion)
    await post("/v2/code/completions", completion)
    await post("/v1/chat/agent", chat)
    await post("/v1/chat/agent", chat)
    await post("/v2/code/completions", { bad: "body" })
    await post("/v2/code/completions", completion, { authorization: "Bearer not.a.valid-token" })
    await post("/v2/code/completions", completion, { authorization: `Basic ${token}` })
    await post("/v3/code/completions", { prompt_components: [] }, { "x-request-id": "secret-check" })

    const everything = gateway.logs().map((line) => JSON.stringify(line)).join("\n")
    expect(gateway.logs().length).toBeGreaterThan(10)
    expect(everything).not.toContain(token)
    expect(everything).not.toContain(token.split(".")[2]!)
    expect(everything).not.toContain("not.a.valid-token")
    expect(everything).not.toMatch(/bearer /i)
    expect(everything).not.toContain("sk-ant-test-key")
    expect(everything).not.toContain("ya29.test-token")
    expect(everything.toLowerCase()).not.toContain('"authorization"')
  })
})
