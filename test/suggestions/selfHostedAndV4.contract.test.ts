/**
 * GitLab 17.x bodies replayed against the in-process app with real signed tokens: self-hosted
 * models (`model_provider: "litellm"`) through the real OpenAI-compatible client to a fake
 * server, v3 bodies with `code_context` and up to 100 components, and v4 Server-Sent Events
 * read with a real SSE parser.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { createParser, type EventSourceMessage } from "eventsource-parser"
import { afterEach, describe, expect, it } from "vitest"
import * as anthropic from "../support/fakes/anthropic.ts"
import * as openai from "../support/fakes/openai.ts"
import {
  type FakeUpstream,
  gate,
  type Handler,
  sendSse,
  type SseStep,
  startFake,
} from "../support/fakes/server.ts"
import * as vertex from "../support/fakes/vertex.ts"
import { type Gateway, legacyModels, readRest, startGateway } from "../support/gateway.ts"

const fixture = (file: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(import.meta.dirname, "..", "fixtures", file), "utf8"))

const litellmBody = (endpoint: string) => ({
  ...fixture("17x-v2-code-completions-litellm.json"),
  model_endpoint: endpoint,
})

let gateway: Gateway | undefined
let selfHosted: FakeUpstream | undefined
afterEach(async () => {
  await gateway?.close()
  await selfHosted?.close()
  gateway = undefined
  selfHosted = undefined
})

const start = async (
  env: Record<string, string> | ((selfHostedUrl: string) => Record<string, string>) = {},
) => {
  selfHosted = await startFake()
  gateway = await startGateway(typeof env === "function" ? env(selfHosted.url) : env)
  return { gateway, selfHosted }
}

describe("self-hosted models (model_provider litellm)", () => {
  it("are 422 while custom models are disabled, and nothing is contacted", async () => {
    const { gateway, selfHosted } = await start()
    const response = await gateway.post("/v2/code/completions", litellmBody(`${selfHosted.url}/v1`))
    expect(response.status).toBe(422)
    expect(JSON.stringify(await response.json())).toContain("custom models are disabled")
    expect(selfHosted.requests).toHaveLength(0)
  })

  it("refuse an endpoint outside the allow-list without connecting to it", async () => {
    const { gateway, selfHosted } = await start({
      AIGW_CUSTOM_MODELS__ENABLED: "true",
      AIGW_CUSTOM_MODELS__ALLOWED_ENDPOINTS: "http://allowed.example.com/v1",
    })
    for (
      const endpoint of [
        `${selfHosted.url}/v1`,
        "http://allowed.example.com.evil.com/v1",
        "http://allowed.example.com/v10",
        "http://allowed.example.com@127.0.0.1/v1",
      ]
    ) {
      const response = await gateway.post("/v2/code/completions", litellmBody(endpoint))
      expect(response.status, endpoint).toBe(422)
      expect(JSON.stringify(await response.json())).toMatch(/not an allowed endpoint|credentials/)
    }
    expect(selfHosted.requests).toHaveLength(0)
  })

  it("send a completion to {endpoint}/completions with the request's model id and key, never the gateway's", async () => {
    const { gateway, selfHosted } = await start((url) => ({
      AIGW_CUSTOM_MODELS__ENABLED: "true",
      AIGW_CUSTOM_MODELS__ALLOWED_ENDPOINTS: `http://allowed.example.com/v1, ${url}/v1`,
    }))
    selfHosted.enqueue(openai.completion(" bool:\n    return n % 2 == 0"))

    const response = await gateway.post("/v2/code/completions", litellmBody(`${selfHosted.url}/v1/`))

    expect(response.status).toBe(200)
    expect((await response.json()).choices).toEqual([{
      text: " bool:\n    return n % 2 == 0",
      index: 0,
      finish_reason: "length",
    }])
    const [upstream] = selfHosted.requests
    expect(upstream!.url).toBe("/v1/completions")
    expect(upstream!.body.model).toBe("codestral-22b")
    expect(upstream!.body.prompt).toContain("def is_even(n: int) ->")
    expect(upstream!.headers.authorization).toBe("Bearer sk-selfhosted-secret-123")
    const sent = JSON.stringify(upstream)
    expect(sent).not.toContain("sk-ant-test-key")
    expect(sent).not.toContain("ya29.test-token")
  })

  it("send no key at all when the request has none, even with gateway keys configured", async () => {
    const { gateway, selfHosted } = await start({ AIGW_CUSTOM_MODELS__ENABLED: "true" })
    selfHosted.enqueue(openai.chat("fmt.Println(1)"))
    const body: Record<string, unknown> = litellmBody(`${selfHosted.url}/v1`)
    delete body.model_api_key

    const response = await gateway.post("/v2/code/generations", {
      ...body,
      model_name: "mistral",
      model_identifier: "custom_openai/mistral-7b",
    })

    expect(response.status).toBe(200)
    const [upstream] = selfHosted.requests
    expect(upstream!.url).toBe("/v1/chat/completions")
    expect(upstream!.body.model).toBe("mistral-7b")
    expect(upstream!.headers.authorization).toBeUndefined()
    expect(JSON.stringify(upstream)).not.toContain("sk-ant-test-key")
  })

  it("stream chunk by chunk from the self-hosted server", async () => {
    const { gateway, selfHosted } = await start({ AIGW_CUSTOM_MODELS__ENABLED: "true" })
    const second = gate()
    selfHosted.enqueue((_, res) => sendSse(res, openai.completionStream([" bool:", second, " ..."])))

    const response = await gateway.post("/v2/code/completions", {
      ...litellmBody(`${selfHosted.url}/v1`),
      stream: true,
    })

    expect(response.status).toBe(200)
    const reader = response.body!.getReader()
    const decoder = new TextDecoder()
    expect(decoder.decode((await reader.read()).value)).toBe(" bool:")
    second.open()
    const rest = await readRest(reader)
    expect(rest).toBe(" ...")
    expect(selfHosted.requests[0]!.body.stream).toBe(true)
  })

  it("never log model_api_key, at debug level", async () => {
    const { gateway, selfHosted } = await start({ AIGW_CUSTOM_MODELS__ENABLED: "true" })
    selfHosted.enqueue(openai.completion("x"))
    const response = await gateway.post("/v2/code/completions", litellmBody(`${selfHosted.url}/v1`))
    expect(response.status).toBe(200)
    const logs = JSON.stringify(gateway.logs())
    expect(logs).toContain("completion")
    expect(logs).not.toContain("sk-selfhosted-secret-123")
  })

  it("refuse model_endpoint with a catalog provider", async () => {
    const { gateway, selfHosted } = await start({ AIGW_CUSTOM_MODELS__ENABLED: "true" })
    const response = await gateway.post("/v2/code/completions", {
      ...litellmBody(`${selfHosted.url}/v1`),
      model_provider: "anthropic",
    })
    expect(response.status).toBe(422)
    expect(selfHosted.requests).toHaveLength(0)
  })
})

describe("v3 with 17.x components", () => {
  it("puts code_context content in the prompt and answers both response and choices", async () => {
    const { gateway } = await start(legacyModels())
    gateway.vertex.enqueue(vertex.predict(" int:\n    return square.side ** 2"))

    const response = await gateway.post(
      "/v3/code/completions",
      fixture("17x-v3-code-completions-code-context.json"),
    )

    expect(response.status).toBe(200)
    const body = await response.json()
    expect(body.response).toBe(" int:\n    return square.side ** 2")
    expect(body.choices).toEqual([{ text: body.response, index: 0, finish_reason: "length" }])
    expect(body.metadata.model).toMatchObject({ engine: "vertex-ai", lang: "python" })
    const [instance] = gateway.vertex.requests[0]!.body.instances
    expect(instance.prefix).toContain("class Square:\n    side: int\n")
    expect(instance.prefix).toContain("def area(square: Square) ->")
  })

  it("accepts 100 components and refuses 101", async () => {
    const { gateway } = await start(legacyModels())
    const body = fixture("17x-v3-code-completions-code-context.json") as { prompt_components: Array<unknown> }
    const [context, editor] = body.prompt_components
    const withComponents = (count: number) => ({
      prompt_components: [...Array.from({ length: count - 1 }, () => context), editor],
    })
    gateway.vertex.enqueue(vertex.predict("x"))
    expect((await gateway.post("/v3/code/completions", withComponents(100))).status).toBe(200)
    expect((await gateway.post("/v3/code/completions", withComponents(101))).status).toBe(422)
    expect(gateway.vertex.requests).toHaveLength(1)
  })
})

/** Answers a streamed Anthropic call in the API the gateway chose. */
const anthropicStream = (chunks: ReadonlyArray<string | SseStep>, end?: "reset"): Handler => (request, res) =>
  sendSse(
    res,
    request.url.startsWith("/v1/messages")
      ? anthropic.messageStream(chunks, { complete: end === undefined })
      : end === undefined
      ? anthropic.completionStream(chunks)
      : anthropic.completionStream(chunks).slice(0, -1),
    end === undefined ? {} : { end },
  )

const readEvents = async (response: Response): Promise<Array<EventSourceMessage>> => {
  const events: Array<EventSourceMessage> = []
  const parser = createParser({ onEvent: (event) => events.push(event) })
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      parser.feed(decoder.decode(value, { stream: true }))
    }
  } catch {
    // an aborted stream: keep the events read so far
  }
  return events
}

describe("v4 code suggestions", () => {
  it("streams stream_start, one content_chunk per model chunk and stream_end", async () => {
    const { gateway } = await start()
    gateway.anthropic.enqueue(anthropicStream(['fmt.Println("Hello', ', world!")\n']))

    const response = await gateway.post(
      "/v4/code/suggestions",
      fixture("17x-v4-code-suggestions-stream.json"),
    )

    expect(response.status).toBe(200)
    expect(response.headers.get("x-streaming-format")).toBe("sse")
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/)
    const events = await readEvents(response)
    expect(events.map((event) => event.event)).toEqual([
      "stream_start",
      "content_chunk",
      "content_chunk",
      "stream_end",
    ])
    const startData = JSON.parse(events[0]!.data)
    expect(startData.metadata.model.engine).toBe("anthropic")
    expect(startData.metadata.timestamp).toEqual(expect.any(Number))
    expect(events.slice(1, 3).map((event) => JSON.parse(event.data))).toEqual([
      { choices: [{ delta: { content: 'fmt.Println("Hello' }, index: 0 }] },
      { choices: [{ delta: { content: ', world!")\n' }, index: 0 }] },
    ])
    expect(events[3]!.data).toBe("null")
  })

  it("writes each chunk as the model yields it", async () => {
    const { gateway } = await start()
    const second = gate()
    gateway.anthropic.enqueue(anthropicStream(["first", second, "second"]))

    const response = await gateway.post(
      "/v4/code/suggestions",
      fixture("17x-v4-code-suggestions-stream.json"),
    )

    const reader = response.body!.getReader()
    const decoder = new TextDecoder()
    let text = ""
    while (!text.includes('"first"')) text += decoder.decode((await reader.read()).value, { stream: true })
    expect(text).not.toContain("second")
    second.open()
    await reader.cancel()
  })

  it("ends a stream that fails after the start without stream_end", async () => {
    const { gateway } = await start()
    gateway.anthropic.enqueue(anthropicStream(["partial"], "reset"))

    const response = await gateway.post(
      "/v4/code/suggestions",
      fixture("17x-v4-code-suggestions-stream.json"),
    )

    expect(response.status).toBe(200)
    const events = await readEvents(response)
    expect(events.map((event) => event.event)).toContain("stream_start")
    expect(events.map((event) => event.event)).not.toContain("stream_end")
  })

  it("answers as v3 without stream", async () => {
    const { gateway } = await start(legacyModels())
    gateway.vertex.enqueue(vertex.predict("x = 1"))
    const response = await gateway.post(
      "/v4/code/suggestions",
      fixture("17x-v3-code-completions-code-context.json"),
    )
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ response: "x = 1", choices: [{ text: "x = 1", index: 0 }] })
  })
})
