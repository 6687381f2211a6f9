/**
 * The Anthropic provider over the upstream HttpClient against a loopback fake: Messages API and
 * legacy Text Completions, JSON and SSE, headers, parameters, and failures (statuses, answers of
 * the wrong shape, `error` events, certificate problems) mapped to typed errors.
 */
import { Effect, Exit, Stream } from "effect"
import { once } from "node:events"
import { createServer } from "node:https"
import type { AddressInfo } from "node:net"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { ModelCatalog } from "../../src/models/catalog.ts"
import { eventually } from "../support/eventually.ts"
import { makeSelfSignedCertificate } from "../support/selfSignedCertificate.ts"
import * as anthropic from "../support/fakes/anthropic.ts"
import {
  type FakeUpstream,
  gate,
  type Handler,
  sendJson,
  sendSse,
  startFake,
  status,
} from "../support/fakes/server.ts"
import { legacyCatalog } from "../support/legacyCatalog.ts"
import { drain, failureOf, type HarnessOptions, run } from "./harness.ts"
import { ChatModel, TextModel } from "../../src/models/modelCall.ts"

let fake: FakeUpstream
let options: HarnessOptions

beforeEach(async () => {
  fake = await startFake()
  // The legacy Text Completions API and Claude 3 with prefills: the original's models, loaded
  // from a catalog file (the built-ins point these names at current models).
  options = {
    env: { ANTHROPIC_API_KEY: "sk-test", AIGW_ANTHROPIC__BASE_URL: fake.url },
    catalog: legacyCatalog,
  }
})
afterEach(() => fake.close())

const model = (name: string) => Effect.map(Effect.service(ModelCatalog), (catalog) => catalog.get(name)!)

describe("Anthropic Messages API", () => {
  it("sends messages, system prompt, prefill, parameters and the API version; returns the text", async () => {
    fake.enqueue(anthropic.message("def add(a, b):"))
    const result = await run(
      options,
      Effect.gen(function* () {
        const chat = yield* ChatModel
        return yield* chat.generate({
          model: yield* model("claude-3-haiku-20240307"),
          messages: [
            { role: "system", content: "You write code." },
            { role: "user", content: "Write add" },
            { role: "assistant", content: "<new_code>" },
          ],
          parameters: { temperature: 0, topK: 0, stopSequences: [], maxTokens: 64 },
        })
      }),
    )
    expect(result).toEqual({ engine: "anthropic", name: "claude-3-haiku-20240307", text: "def add(a, b):" })
    const [request] = fake.requests
    expect(request!.url).toBe("/v1/messages")
    expect(request!.headers["anthropic-version"]).toBe("2023-06-01")
    expect(request!.headers["authorization"] ?? request!.headers["x-api-key"]).toMatch(/sk-test/)
    expect(request!.body).toEqual({
      model: "claude-3-haiku-20240307",
      max_tokens: 64,
      temperature: 0,
      top_k: 0,
      stop_sequences: [],
      stream: false,
      system: "You write code.",
      messages: [{ role: "user", content: "Write add" }, { role: "assistant", content: "<new_code>" }],
    })
  })

  it("uses the catalog defaults when the request gives no parameters", async () => {
    fake.enqueue(anthropic.message("ok"))
    await run(
      options,
      Effect.gen(function* () {
        const chat = yield* ChatModel
        return yield* chat.generate({
          model: yield* model("claude-3-opus-20240229"),
          messages: [{ role: "user", content: "hi" }],
        })
      }),
    )
    expect(fake.requests[0]!.body).toMatchObject({ temperature: 0.2, max_tokens: 2048 })
    expect(fake.requests[0]!.body.stop_sequences).toBeUndefined()
  })

  it("converts a Human/Assistant prompt into messages for a messages model", async () => {
    fake.enqueue(anthropic.message("Paris"))
    await run(
      options,
      Effect.gen(function* () {
        const chat = yield* ChatModel
        return yield* chat.generate({
          model: yield* model("claude-3-sonnet-20240229"),
          messages: "You are terse.\n\nHuman: Capital of France?\n\nAssistant:",
        })
      }),
    )
    expect(fake.requests[0]!.body).toMatchObject({
      system: "You are terse.",
      messages: [{ role: "user", content: "Capital of France?" }],
    })
  })

  it("streams chunk by chunk: the first chunk arrives before the upstream sends the second", async () => {
    const second = gate()
    fake.enqueue(anthropic.sse(anthropic.messageStream(["Hello", second, " world"])))
    const { first, rest } = await run(
      options,
      Effect.scoped(Effect.gen(function* () {
        const chat = yield* ChatModel
        const pull = yield* Stream.toPull(
          chat.stream({
            model: yield* model("claude-3-haiku-20240307"),
            messages: [{ role: "user", content: "hi" }],
          }),
        )
        const first = yield* pull
        second.open()
        const rest = yield* Stream.runCollect(Stream.fromPull(Effect.succeed(pull)))
        return { first, rest }
      })),
    )
    expect(first).toEqual(["Hello"])
    expect(rest).toEqual([" world"])
    expect(fake.requests[0]!.body.stream).toBe(true)
    expect(fake.requests[0]!.headers["anthropic-version"]).toBe("2023-06-01")
  })

  it("fails the stream when the connection drops mid-answer (no silent truncation)", async () => {
    fake.enqueue(anthropic.sse(anthropic.messageStream(["Hello"], { complete: false }), "reset"))
    const { chunks, exit } = await run(
      options,
      Effect.gen(function* () {
        const chat = yield* ChatModel
        return yield* drain(
          chat.stream({
            model: yield* model("claude-3-haiku-20240307"),
            messages: [{ role: "user", content: "hi" }],
          }),
        )
      }),
    )
    expect(chunks).toEqual(["Hello"])
    expect(Exit.isFailure(exit)).toBe(true)
    expect(String(Exit.isFailure(exit) ? exit.cause : "")).toContain("UpstreamConnection")
  })

  it("fails the stream when it ends cleanly without message_stop", async () => {
    fake.enqueue(anthropic.sse(anthropic.messageStream(["Hello"], { complete: false })))
    const { chunks, exit } = await run(
      options,
      Effect.gen(function* () {
        const chat = yield* ChatModel
        return yield* drain(
          chat.stream({
            model: yield* model("claude-3-haiku-20240307"),
            messages: [{ role: "user", content: "hi" }],
          }),
        )
      }),
    )
    expect(chunks).toEqual(["Hello"])
    expect(Exit.isFailure(exit)).toBe(true)
  })

  it("maps a 400 to UpstreamStatus without retrying", async () => {
    fake.enqueue(status(400, {}, { type: "error", error: { type: "invalid_request_error", message: "bad" } }))
    const error = await failureOf(
      options,
      Effect.gen(function* () {
        const chat = yield* ChatModel
        return yield* chat.generate({
          model: yield* model("claude-3-haiku-20240307"),
          messages: [{ role: "user", content: "hi" }],
        })
      }),
    )
    expect(error).toMatchObject({
      _tag: "UpstreamStatus",
      status: 400,
      engine: "anthropic",
      model: "claude-3-haiku-20240307",
    })
    expect(error.kind).toBe("upstream_400")
    expect(fake.requests).toHaveLength(1)
  })
})

describe("Anthropic Text Completions API", () => {
  it("sends a string prompt to /v1/complete for text-completions models", async () => {
    fake.enqueue(anthropic.completion(" print('hi')"))
    const result = await run(
      options,
      Effect.gen(function* () {
        const text = yield* TextModel
        return yield* text.generate({
          model: yield* model("claude-2.1"),
          prefix: "\n\nHuman: Write hello\n\nAssistant:",
          parameters: { temperature: 0 },
        })
      }),
    )
    expect(result.text).toBe(" print('hi')")
    const [request] = fake.requests
    expect(request!.url).toBe("/v1/complete")
    expect(request!.headers["anthropic-version"]).toBe("2023-06-01")
    expect(request!.body).toEqual({
      model: "claude-2.1",
      prompt: "\n\nHuman: Write hello\n\nAssistant:",
      max_tokens_to_sample: 2048,
      temperature: 0,
      stop_sequences: ["\n\nHuman:"],
    })
  })

  it("streams completion events", async () => {
    fake.enqueue(anthropic.sse(anthropic.completionStream(["a", "b", "c"])))
    const chunks = await run(
      options,
      Effect.gen(function* () {
        const text = yield* TextModel
        return yield* Stream.runCollect(
          text.stream({ model: yield* model("claude-instant-1.2"), prefix: "\n\nHuman: x\n\nAssistant:" }),
        )
      }),
    )
    expect(chunks).toEqual(["a", "b", "c"])
    expect(fake.requests[0]!.body.stream).toBe(true)
  })
})

const askHaiku = Effect.gen(function* () {
  const chat = yield* ChatModel
  return yield* chat.generate({
    model: yield* model("claude-3-haiku-20240307"),
    messages: [{ role: "user", content: "hi" }],
  })
})

const streamHaiku = Effect.gen(function* () {
  const chat = yield* ChatModel
  return yield* drain(
    chat.stream({
      model: yield* model("claude-3-haiku-20240307"),
      messages: [{ role: "user", content: "hi" }],
    }),
  )
})

describe("Anthropic answers of the wrong shape and failures inside a stream", () => {
  it("a Messages answer of another shape is a connection error naming the field, not a crash", async () => {
    const wrong: Handler = (_, res) => sendJson(res, 200, { content: "not a list of blocks" })
    fake.enqueue(wrong, wrong)
    const error = await failureOf(options, askHaiku)
    expect(error).toMatchObject({ _tag: "UpstreamConnection", engine: "anthropic" })
    expect((error as { detail: string }).detail).toMatch(/^invalid answer: .*content/)
  })

  it("a Text Completion of another shape is a connection error", async () => {
    const wrong: Handler = (_, res) => sendJson(res, 200, { completion: 42 })
    fake.enqueue(wrong, wrong)
    const error = await failureOf(
      options,
      Effect.gen(function* () {
        const text = yield* TextModel
        return yield* text.generate({
          model: yield* model("claude-2.1"),
          prefix: "\n\nHuman: x\n\nAssistant:",
        })
      }),
    )
    expect(error).toMatchObject({ _tag: "UpstreamConnection", engine: "anthropic", model: "claude-2.1" })
  })

  it("skips pings; an error event fails the stream after the chunks before it", async () => {
    fake.enqueue(anthropic.sse([
      ...anthropic.messageStream(["Hello"], { complete: false }),
      { event: "ping", data: JSON.stringify({ type: "ping" }) },
      {
        event: "error",
        data: JSON.stringify({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } }),
      },
    ]))
    const { chunks, exit } = await run(options, streamHaiku)
    expect(chunks).toEqual(["Hello"])
    expect(Exit.isFailure(exit) ? String(exit.cause) : "").toContain("overloaded_error")
  })

  it("a stream event of another shape fails the stream", async () => {
    fake.enqueue(anthropic.sse([
      ...anthropic.messageStream(["Hello"], { complete: false }),
      { event: "content_block_delta", data: JSON.stringify({ type: 7 }) },
    ]))
    const { chunks, exit } = await run(options, streamHaiku)
    expect(chunks).toEqual(["Hello"])
    expect(Exit.isFailure(exit) ? String(exit.cause) : "").toContain("invalid answer")
  })

  it("a stream event whose data is not JSON fails the stream after the chunks before it", async () => {
    fake.enqueue(anthropic.sse([
      ...anthropic.messageStream(["Hello"], { complete: false }),
      { event: "content_block_delta", data: "{not json" },
    ]))
    const { chunks, exit } = await run(options, streamHaiku)
    expect(chunks).toEqual(["Hello"])
    expect(Exit.isFailure(exit) ? String(exit.cause) : "").toContain("invalid event data: {not json")
  })

  it("a caller that stops reading mid-stream closes the upstream request", async () => {
    let closed = false
    const never = gate()
    fake.enqueue((_, res) => {
      res.on("close", () => {
        closed = true
      })
      return sendSse(res, [...anthropic.messageStream(["Hello", never, " world"])])
    })
    const first = await run(
      options,
      Effect.gen(function* () {
        const chat = yield* ChatModel
        return yield* Stream.runHead(
          chat.stream({
            model: yield* model("claude-3-haiku-20240307"),
            messages: [{ role: "user", content: "hi" }],
          }),
        )
      }),
    )
    expect(first).toMatchObject({ _tag: "Some", value: "Hello" })
    await eventually(() => expect(closed).toBe(true))
  })
})

describe("Anthropic behind a certificate the gateway does not trust", () => {
  it("is a connection error that names the certificate problem and the fix", async () => {
    const { key, cert } = makeSelfSignedCertificate()
    const server = createServer(
      { key, cert },
      (_, res) => sendJson(res, 200, anthropic.messageJson("never trusted")),
    )
    server.listen(0, "127.0.0.1")
    await once(server, "listening")
    try {
      const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
      const error = await failureOf(
        { ...options, env: { ...options.env, AIGW_ANTHROPIC__BASE_URL: url } },
        askHaiku,
      )
      expect(error).toMatchObject({ _tag: "UpstreamConnection", engine: "anthropic" })
      expect((error as { detail: string }).detail).toMatch(/^TLS: .*(NODE_EXTRA_CA_CERTS|DENO_CERT)/)
    } finally {
      server.closeAllConnections()
      server.close()
    }
  })
})
