/**
 * Duo Chat and X-Ray through the whole app: the fixtures as GitLab sends them with real signed
 * tokens, fake Anthropic upstreams, the exact bodies GitLab parses, and each failure kind.
 */
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import * as anthropic from "../support/fakes/anthropic.ts"
import { gate, hang, sendSse, status } from "../support/fakes/server.ts"
import { type Gateway, legacyModels, loadFixture, startGateway } from "../support/gateway.ts"
import { freePort } from "../support/process.ts"

let gateway: Gateway | undefined
afterEach(async () => {
  await gateway?.close()
  gateway = undefined
})
const start = async (
  env: Record<string, string> = {},
) => (gateway = await startGateway({ ...legacyModels(), ...env }))

const chat = ["duo_chat"]
const nowSeconds = () => Math.floor(Date.now() / 1000)

const chatBody = (payload: Record<string, unknown>, stream = false) => ({
  prompt_components: [{
    type: "prompt",
    metadata: { source: "GitLab EE", version: "17.0.0" },
    payload: {
      content: "\n\nHuman: hi\n\nAssistant:",
      provider: "anthropic",
      model: "claude-2.1",
      ...payload,
    },
  }],
  stream,
})

describe("fixture 10: chat with a string prompt", () => {
  it("answers response and metadata naming the requested model, with the chat defaults upstream", async () => {
    const { post, anthropic: upstream } = await start()
    upstream.enqueue(anthropic.completion("Completion Response"))
    const fixture = loadFixture("10-v1-chat-agent-complete-nonstream.json")

    const response = await post(fixture.path, fixture.body, chat)

    expect(response.status).toBe(200)
    const body = await response.json()
    expect(body).toEqual({
      response: "Completion Response",
      metadata: { provider: "anthropic", model: "claude-2.1", timestamp: expect.any(Number) },
    })
    expect(Math.abs(body.metadata.timestamp - nowSeconds())).toBeLessThan(5)
    const [request] = upstream.requests
    expect(request!.url).toBe("/v1/complete")
    expect(request!.body).toMatchObject({
      model: "claude-2.1",
      prompt: "\n\nHuman: anything\n\nAssistant:",
      temperature: 0.2,
      max_tokens_to_sample: 2048,
      stop_sequences: ["\n\nHuman", "Observation:"],
    })
  })
})

describe("fixture 12: streamed chat with a message list (Claude 3)", () => {
  it("sends the system prompt and turns to the Messages API and streams raw chunks as they arrive", async () => {
    const { post, anthropic: upstream } = await start()
    const second = gate()
    upstream.enqueue((_, res) =>
      sendSse(res, anthropic.messageStream(["Thought: ", second, "I can answer...", "\nFinal Answer: ..."]))
    )
    const fixture = loadFixture("12-v1-chat-agent-stream-claude3-messages.json")

    const response = await post(fixture.path, fixture.body, chat)

    expect(response.status).toBe(200)
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/)
    const reader = response.body!.getReader()
    const decoder = new TextDecoder()
    expect(decoder.decode((await reader.read()).value)).toBe("Thought: ")
    second.open()
    let rest = ""
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      rest += decoder.decode(chunk.value)
    }
    expect(rest).toBe("I can answer...\nFinal Answer: ...")

    const messages = (fixture.body.prompt_components as Array<
      { payload: { content: Array<{ role: string; content: string }> } }
    >)[0]!
      .payload.content
    const [request] = upstream.requests
    expect(request!.url).toBe("/v1/messages")
    expect(request!.body).toMatchObject({
      model: "claude-3-sonnet-20240229",
      stream: true,
      system: messages[0]!.content,
      messages: messages.slice(1),
      temperature: 0.1,
      max_tokens: 2048,
      stop_sequences: ["\n\nHuman", "Observation:"],
    })
  })
})

describe("chat requests", () => {
  it("send a trailing assistant message as a prefill", async () => {
    const { post, anthropic: upstream } = await start()
    upstream.enqueue(anthropic.message(" continued"))
    const content = [
      { role: "user", content: "Write JSON" },
      { role: "assistant", content: '{"a":' },
    ]
    const response = await post(
      "/v1/chat/agent",
      chatBody({ content, model: "claude-3-haiku-20240307" }),
      chat,
    )
    expect((await response.json()).response).toBe(" continued")
    expect(upstream.requests[0]!.body.messages).toEqual(content)
  })

  it("pass explicit zero parameters through", async () => {
    const { post, anthropic: upstream } = await start()
    upstream.enqueue(anthropic.message("ok"))
    await post(
      "/v1/chat/agent",
      chatBody({
        content: [{ role: "user", content: "x" }],
        model: "claude-3-opus-20240229",
        params: { temperature: 0, top_k: 0, top_p: 0.5, max_tokens_to_sample: 1, stop_sequences: ["END"] },
      }),
      chat,
    )
    expect(upstream.requests[0]!.body).toMatchObject({
      temperature: 0,
      top_k: 0,
      top_p: 0.5,
      max_tokens: 1,
      stop_sequences: ["END"],
    })
  })

  it("default to claude-2.0 without a model", async () => {
    const { post, anthropic: upstream } = await start()
    upstream.enqueue(anthropic.completion("ok"))
    const response = await post("/v1/chat/agent", chatBody({ model: undefined, provider: undefined }), chat)
    expect((await response.json()).metadata.model).toBe("claude-2.0")
    expect(upstream.requests[0]!.body.model).toBe("claude-2.0")
  })
})

describe("chat upstream failures", () => {
  const catalogWithTimeout = () => {
    const file = join(mkdtempSync(join(tmpdir(), "aigw-catalog-")), "models.yaml")
    writeFileSync(file, "models:\n  claude-2.1:\n    timeoutSeconds: 0.3\n")
    return file
  }

  it("a status error is 502 Anthropic API Status Error.", async () => {
    const { post, anthropic: upstream } = await start()
    upstream.enqueue(status(500), status(500))
    const response = await post("/v1/chat/agent", chatBody({}), chat)
    expect(response.status).toBe(502)
    expect(await response.json()).toEqual({ detail: "Anthropic API Status Error." })
  })

  it("a timeout is 504 Anthropic API Timeout Error.", async () => {
    const { post, anthropic: upstream } = await start({ AIGW_MODELS__CATALOG_FILE: catalogWithTimeout() })
    upstream.enqueue(hang)
    const response = await post("/v1/chat/agent", chatBody({}), chat)
    expect(response.status).toBe(504)
    expect(await response.json()).toEqual({ detail: "Anthropic API Timeout Error." })
  })

  it("a connection failure is 502 Anthropic API Connection Error.", async () => {
    const { post } = await start({ AIGW_ANTHROPIC__BASE_URL: `http://127.0.0.1:${await freePort()}` })
    const response = await post("/v1/chat/agent", chatBody({}), chat)
    expect(response.status).toBe(502)
    expect(await response.json()).toEqual({ detail: "Anthropic API Connection Error." })
  })

  it("a full concurrency cap is 503", async () => {
    const { post, anthropic: upstream } = await start({
      AIGW_MODEL_ENGINE_CONCURRENCY_LIMITS: JSON.stringify({ anthropic: { "claude-2.1": 1 } }),
    })
    const release = gate()
    upstream.enqueue(async (request, res) => {
      await release.opened
      anthropic.completion("first")(request, res)
    })
    const first = post("/v1/chat/agent", chatBody({}), chat)
    // Once the upstream has the first call, that call holds the only slot.
    await upstream.received(1)
    const limited = await post("/v1/chat/agent", chatBody({}), chat)
    expect(limited.status).toBe(503)
    expect(await limited.json()).toEqual({ detail: "Anthropic API Concurrency Limit Reached." })
    release.open()
    expect((await (await first).json()).response).toBe("first")
  })

  it("a stream that fails before its first chunk gets the error status", async () => {
    const { post, anthropic: upstream } = await start()
    upstream.enqueue(status(500), status(500))
    const response = await post("/v1/chat/agent", chatBody({}, true), chat)
    expect(response.status).toBe(502)
    expect(await response.json()).toEqual({ detail: "Anthropic API Status Error." })
  })

  it("a stream that fails after its first chunk is aborted, not ended cleanly", async () => {
    const { post, anthropic: upstream } = await start()
    const cut = gate()
    upstream.enqueue((_, res) =>
      sendSse(res, [anthropic.completionStream(["Thought: "])[0]!, cut], { end: "reset" })
    )
    const response = await post("/v1/chat/agent", chatBody({}, true), chat)
    const reader = response.body!.getReader()
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("Thought: ")
    cut.open()
    await expect((async () => {
      for (;;) if ((await reader.read()).done) return "ended cleanly"
    })()).rejects.toBeDefined()
  })
})

describe("chat validation and scope", () => {
  const expect422 = async (body: unknown) => {
    const response = await gateway!.post("/v1/chat/agent", body, chat)
    expect(response.status).toBe(422)
    return (await response.json()).detail as Array<{ loc: Array<string | number>; msg: string }>
  }

  it("rejects an unknown model, naming it", async () => {
    await start({ AIGW_MOCK_MODEL_RESPONSES: "true" })
    const detail = await expect422(chatBody({ model: "gpt-4" }))
    expect(detail[0]!.loc).toEqual(["body", "prompt_components", 0, "payload", "model"])
    expect(detail[0]!.msg).toContain("gpt-4")
  })

  it.each([
    ["no component", { prompt_components: [] }],
    ["two components", {
      prompt_components: [chatBody({}).prompt_components[0], chatBody({}).prompt_components[0]],
    }],
    ["metadata without version", {
      prompt_components: [{ ...chatBody({}).prompt_components[0], metadata: { source: "GitLab EE" } }],
    }],
    ["a type over 100 characters", {
      prompt_components: [{ ...chatBody({}).prompt_components[0], type: "t".repeat(101) }],
    }],
    ["temperature over 1", chatBody({ params: { temperature: 1.5 } })],
    ["max_tokens_to_sample 0", chatBody({ params: { max_tokens_to_sample: 0 } })],
    ["max_tokens_to_sample 2049", chatBody({ params: { max_tokens_to_sample: 2049 } })],
    ["11 stop sequences", chatBody({ params: { stop_sequences: Array(11).fill("x") } })],
    ["a stop sequence over 225 characters", chatBody({ params: { stop_sequences: ["x".repeat(226)] } })],
    ["content over 400,000 characters", chatBody({ content: "x".repeat(400_001) })],
    ["an empty message list", chatBody({ content: [] })],
    ["101 messages", chatBody({ content: Array(101).fill({ role: "user", content: "x" }) })],
    ["a message with an unknown role", chatBody({ content: [{ role: "tool", content: "x" }] })],
  ])("rejects %s with 422", async (_, body) => {
    await start({ AIGW_MOCK_MODEL_RESPONSES: "true" })
    await expect422(body)
  })

  it("accepts the limits themselves", async () => {
    const { post } = await start({ AIGW_MOCK_MODEL_RESPONSES: "true" })
    const atLimits = chatBody({
      content: "x".repeat(400_000),
      params: { temperature: 1, max_tokens_to_sample: 2048, stop_sequences: Array(10).fill("s".repeat(225)) },
    })
    expect((await post("/v1/chat/agent", atLimits, chat)).status).toBe(200)
    const hundred = chatBody({ content: Array(100).fill({ role: "user", content: "x" }) })
    expect((await post("/v1/chat/agent", hundred, chat)).status).toBe(200)
  })

  it("needs the duo_chat scope", async () => {
    const { post } = await start({ AIGW_MOCK_MODEL_RESPONSES: "true" })
    const response = await post("/v1/chat/agent", chatBody({}), ["code_suggestions"])
    expect(response.status).toBe(403)
    expect(await response.json()).toEqual({ detail: "Forbidden" })
  })
})

describe("fixture 14: X-Ray libraries", () => {
  it("sends the prompt as it is to the requested model and answers {response}", async () => {
    const { post, anthropic: upstream } = await start()
    const text = 'Here is the response in valid JSON format:\n\n```json\n[\n  "kaminari"\n]\n```'
    upstream.enqueue(anthropic.completion(text))
    const fixture = loadFixture("14-v1-x-ray-libraries.json")

    const response = await post(fixture.path, fixture.body)

    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ response: text })
    const component = (fixture.body.prompt_components as Array<{ payload: { prompt: string } }>)[0]!
    expect(upstream.requests[0]!.body).toMatchObject({ model: "claude-2.0" })
    expect(upstream.requests[0]!.body.prompt).toContain(component.payload.prompt.trim().slice(0, 60))
  })

  it("uses payload.model (the original ignored it)", async () => {
    const { post, anthropic: upstream } = await start()
    upstream.enqueue(anthropic.completion("[]"))
    const fixture = loadFixture("14-v1-x-ray-libraries.json")
    const body = structuredClone(fixture.body) as { prompt_components: Array<{ payload: { model: string } }> }
    body.prompt_components[0]!.payload.model = "claude-instant-1.2"
    await post(fixture.path, body)
    expect(upstream.requests[0]!.body.model).toBe("claude-instant-1.2")
  })

  it("maps upstream failures like chat", async () => {
    const { post, anthropic: upstream } = await start()
    upstream.enqueue(status(500), status(500))
    const response = await post("/v1/x-ray/libraries", loadFixture("14-v1-x-ray-libraries.json").body)
    expect(response.status).toBe(502)
    expect(await response.json()).toEqual({ detail: "Anthropic API Status Error." })
  })

  it("validates the component and needs code_suggestions", async () => {
    const { post } = await start({ AIGW_MOCK_MODEL_RESPONSES: "true" })
    const valid = loadFixture("14-v1-x-ray-libraries.json").body
    const component = (valid.prompt_components as Array<Record<string, unknown>>)[0]!
    const payload = component.payload as Record<string, unknown>
    const variants = [
      { prompt_components: [] },
      { prompt_components: [{ ...component, type: "other" }] },
      { prompt_components: [{ ...component, payload: { ...payload, model: "claude-2.1" } }] },
      { prompt_components: [{ ...component, payload: { ...payload, prompt: "x".repeat(400_001) } }] },
      {
        prompt_components: [{
          ...component,
          metadata: Object.fromEntries(Array.from({ length: 11 }, (_, index) => [`k${index}`, "v"])),
        }],
      },
    ]
    for (const body of variants) expect((await post("/v1/x-ray/libraries", body)).status).toBe(422)
    expect((await post("/v1/x-ray/libraries", valid, ["duo_chat"])).status).toBe(403)
    expect((await post("/v1/x-ray/libraries", valid)).status).toBe(200)
  })
})

describe("one concurrency cap per model across routes", () => {
  it("a chat call in flight takes the slot a generation on the same model then waits for", async () => {
    const { post, anthropic: upstream } = await start({
      AIGW_MODEL_ENGINE_CONCURRENCY_LIMITS: JSON.stringify({ anthropic: { "claude-2.1": 1 } }),
    })
    const release = gate()
    upstream.enqueue(async (request, res) => {
      await release.opened
      anthropic.completion("chat")(request, res)
    })
    const chatCall = post("/v1/chat/agent", chatBody({}), chat)
    await upstream.received(1)
    const generation = await post("/v2/code/generations", {
      current_file: { file_name: "a.py", content_above_cursor: "x", content_below_cursor: "" },
      model_provider: "anthropic",
      model_name: "claude-2.1",
      prompt_version: 2,
      prompt: "\n\nHuman: x\n\nAssistant:",
    })
    expect(generation.headers.get("x-aigw-model-error")).toBe("concurrency")
    release.open()
    expect((await (await chatCall).json()).response).toBe("chat")
  })
})
