/**
 * The OpenAI-compatible provider against a loopback fake: `/v1/completions` with FIM and
 * `/v1/chat/completions`, JSON and SSE, base URL and key per catalog entry.
 */
import { Effect, Exit, Stream } from "effect"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { ModelCatalog } from "../../src/models/catalog.ts"
import * as openai from "../support/fakes/openai.ts"
import {
  type FakeUpstream,
  gate,
  type Handler,
  sendJson,
  sendSse,
  startFake,
} from "../support/fakes/server.ts"
import { drain, failureOf, type HarnessOptions, run, typedFailure } from "./harness.ts"
import { ChatModel, TextModel } from "../../src/models/modelCall.ts"

let fake: FakeUpstream
let options: HarnessOptions

beforeEach(async () => {
  fake = await startFake()
  options = {
    catalog: {
      models: {
        "qwen-fim": {
          provider: "openai-compatible",
          upstream: "Qwen/Qwen2.5-Coder-7B",
          api: "completions",
          useCases: ["completion"],
          contextTokens: 32_768,
          baseUrl: `${fake.url}/v1`,
          apiKey: "local-key",
        },
        "llama-chat": {
          provider: "openai-compatible",
          upstream: "llama3.1",
          api: "chat-completions",
          useCases: ["chat", "generation"],
          contextTokens: 128_000,
          baseUrl: `${fake.url}/v1/`,
        },
      },
      defaults: { "openai-compatible": { completion: "qwen-fim", chat: "llama-chat" } },
    },
  }
})
afterEach(() => fake.close())

const entry = (name: string) => Effect.map(Effect.service(ModelCatalog), (catalog) => catalog.get(name)!)

describe("/v1/completions", () => {
  it("sends prompt + suffix, the key and explicit zero parameters", async () => {
    fake.enqueue(openai.completion("a + b"))
    const result = await run(
      options,
      Effect.gen(function* () {
        const text = yield* TextModel
        return yield* text.generate({
          model: yield* entry("qwen-fim"),
          prefix: "def add(a, b):\n    return ",
          suffix: "\n",
          parameters: { temperature: 0, topK: 0, stopSequences: [] },
        })
      }),
    )
    expect(result).toEqual({ engine: "openai-compatible", name: "qwen-fim", text: "a + b" })
    const [request] = fake.requests
    expect(request!.url).toBe("/v1/completions")
    expect(request!.headers.authorization).toBe("Bearer local-key")
    expect(request!.body).toEqual({
      model: "Qwen/Qwen2.5-Coder-7B",
      prompt: "def add(a, b):\n    return ",
      suffix: "\n",
      max_tokens: 2048,
      temperature: 0,
      top_k: 0,
      stop: [],
      stream: false,
    })
  })

  it("streams completion chunks as they arrive", async () => {
    const second = gate()
    fake.enqueue((_, res) => sendSse(res, openai.completionStream(["a", second, " + b"])))
    const { first, rest } = await run(
      options,
      Effect.scoped(Effect.gen(function* () {
        const text = yield* TextModel
        const pull = yield* Stream.toPull(
          text.stream({ model: yield* entry("qwen-fim"), prefix: "p", suffix: "s" }),
        )
        const first = yield* pull
        second.open()
        return { first, rest: yield* Stream.runCollect(Stream.fromPull(Effect.succeed(pull))) }
      })),
    )
    expect(first).toEqual(["a"])
    expect(rest).toEqual([" + b"])
  })

  it("fails a stream whose connection drops before [DONE]", async () => {
    fake.enqueue((_, res) => sendSse(res, openai.completionStream(["a"]).slice(0, 1), { end: "reset" }))
    const { chunks, exit } = await run(
      options,
      Effect.gen(function* () {
        const text = yield* TextModel
        return yield* drain(text.stream({ model: yield* entry("qwen-fim"), prefix: "p" }))
      }),
    )
    expect(chunks).toEqual(["a"])
    expect(String(Exit.isFailure(exit) ? exit.cause : "")).toContain("UpstreamConnection")
  })
})

describe("/v1/chat/completions", () => {
  it("sends system and turns, without a key when none is configured", async () => {
    fake.enqueue(openai.chat("Hi there"))
    const result = await run(
      options,
      Effect.gen(function* () {
        const chat = yield* ChatModel
        const model = yield* (yield* Effect.service(ModelCatalog)).resolve("openai-compatible", "chat")
        return yield* chat.generate({
          model,
          messages: [{ role: "system", content: "Be kind" }, { role: "user", content: "Hello" }],
        })
      }),
    )
    expect(result.text).toBe("Hi there")
    const [request] = fake.requests
    expect(request!.url).toBe("/v1/chat/completions")
    expect(request!.headers.authorization).toBeUndefined()
    expect(request!.body.messages).toEqual([{ role: "system", content: "Be kind" }, {
      role: "user",
      content: "Hello",
    }])
  })

  it("streams chat deltas", async () => {
    fake.enqueue((_, res) => sendSse(res, openai.chatStream(["Hi", " there"])))
    const chunks = await run(
      options,
      Effect.gen(function* () {
        const chat = yield* ChatModel
        return yield* Stream.runCollect(
          chat.stream({ model: yield* entry("llama-chat"), messages: [{ role: "user", content: "Hello" }] }),
        )
      }),
    )
    expect(chunks).toEqual(["Hi", " there"])
    expect(fake.requests[0]!.body.stream).toBe(true)
  })
})

describe("malformed answers", () => {
  const answer = (body: unknown): Handler => (_, res) => sendJson(res, 200, body)
  const complete = Effect.gen(function* () {
    const text = yield* TextModel
    return yield* text.generate({ model: yield* entry("qwen-fim"), prefix: "p" })
  })

  it("fails an answer whose choices are not a list with UpstreamConnection saying where", async () => {
    const malformed = answer({ id: "cmpl-1", choices: { text: "a + b" } })
    fake.enqueue(malformed, malformed)
    const error = await failureOf(options, complete)
    expect(error).toMatchObject({
      _tag: "UpstreamConnection",
      engine: "openai-compatible",
      model: "qwen-fim",
    })
    expect(error.kind).toBe("connection")
    expect(error.message).toContain("invalid answer: Expected array at choices")
  })

  it("fails an answer whose text is not a string", async () => {
    const malformed = answer({ choices: [{ text: 42, finish_reason: "stop" }] })
    fake.enqueue(malformed, malformed)
    const error = await failureOf(options, complete)
    expect(error).toMatchObject({ _tag: "UpstreamConnection" })
    expect(error.message).toContain("at choices.0.text")
  })

  it("reads a null chat content as an empty answer, as servers send for refusals", async () => {
    fake.enqueue(
      answer({ choices: [{ message: { role: "assistant", content: null }, finish_reason: "stop" }] }),
    )
    const result = await run(
      options,
      Effect.gen(function* () {
        const chat = yield* ChatModel
        return yield* chat.generate({
          model: yield* entry("llama-chat"),
          messages: [{ role: "user", content: "Hi" }],
        })
      }),
    )
    expect(result.text).toBe("")
  })

  it("fails a stream at an event of the wrong shape, keeping the chunks before it", async () => {
    fake.enqueue((_, res) =>
      sendSse(res, [
        ...openai.chatStream(["Hi"]).slice(0, 1),
        { data: JSON.stringify({ choices: [{ delta: { content: ["not", "text"] } }] }) },
        ...openai.chatStream([]),
      ])
    )
    const { chunks, exit } = await run(
      options,
      Effect.gen(function* () {
        const chat = yield* ChatModel
        return yield* drain(
          chat.stream({ model: yield* entry("llama-chat"), messages: [{ role: "user", content: "Hi" }] }),
        )
      }),
    )
    expect(chunks).toEqual(["Hi"])
    const failure = typedFailure(exit)
    expect(failure).toMatchObject({ _tag: "UpstreamConnection", model: "llama-chat" })
    expect(failure?.message).toContain("at choices.0.delta.content")
  })

  it("fails a stream with the error event a server sends in it", async () => {
    const overloaded: Handler = (_, res) =>
      sendSse(res, [{ data: JSON.stringify({ error: { message: "overloaded" } }) }])
    fake.enqueue(overloaded, overloaded)
    const { chunks, exit } = await run(
      options,
      Effect.gen(function* () {
        const text = yield* TextModel
        return yield* drain(text.stream({ model: yield* entry("qwen-fim"), prefix: "p" }))
      }),
    )
    expect(chunks).toEqual([])
    const failure = typedFailure(exit)
    expect(failure).toMatchObject({ _tag: "UpstreamConnection", detail: '{"message":"overloaded"}' })
  })
})
