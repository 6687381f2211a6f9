/**
 * The Vertex provider against a loopback fake: `:predict` over REST (code-gecko, text-bison
 * shapes), `:rawPredict` / `:streamRawPredict` (Codestral) and Gemini through @google/genai in
 * Vertex mode, with the injected token and an `http://` endpoint.
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
  status,
} from "../support/fakes/server.ts"
import * as vertex from "../support/fakes/vertex.ts"
import { legacyCatalog, legacyCatalogWith } from "../support/legacyCatalog.ts"
import { drain, failureOf, type HarnessOptions, run, testToken, typedFailure } from "./harness.ts"
import { ChatModel, TextModel } from "../../src/models/modelCall.ts"

let fake: FakeUpstream
let options: HarnessOptions

/** The original's `:predict` models, and the names the rawPredict and Gemini cases use. */
const catalog = legacyCatalogWith({
  "code-gecko@002": { upstream: "codestral-2501", api: "raw-predict" },
  "gemini-flash": {
    provider: "vertex-ai",
    upstream: "gemini-2.5-flash",
    api: "gemini",
    useCases: ["generation", "chat"],
    contextTokens: 1_000_000,
  },
})

beforeEach(async () => {
  fake = await startFake()
  options = {
    env: {
      AIGW_VERTEX_TEXT_MODEL__PROJECT: "proj",
      AIGW_VERTEX_TEXT_MODEL__LOCATION: "us-central1",
      AIGW_VERTEX_TEXT_MODEL__ENDPOINT: fake.url,
    },
    catalog: legacyCatalog,
  }
})
afterEach(() => fake.close())

const entry = (name: string) => Effect.map(Effect.service(ModelCatalog), (catalog) => catalog.get(name)!)
const complete = (name: string, prefix: string, suffix?: string, parameters?: object) =>
  Effect.gen(function* () {
    const text = yield* TextModel
    return yield* text.generate({ model: yield* entry(name), prefix, suffix, parameters })
  })

describe(":predict", () => {
  it("sends {prefix, suffix} and the default parameters, with the bearer token", async () => {
    fake.enqueue(vertex.predict("return a + b", { score: -0.5 }))
    const result = await run(options, complete("code-gecko@002", "def add(a, b):\n", "\n"))
    expect(result).toEqual({ engine: "vertex-ai", name: "code-gecko@002", text: "return a + b" })
    const [request] = fake.requests
    expect(request!.url).toBe(
      "/v1/projects/proj/locations/us-central1/publishers/google/models/code-gecko@002:predict",
    )
    expect(request!.headers.authorization).toBe(`Bearer ${testToken}`)
    expect(request!.body).toEqual({
      instances: [{ prefix: "def add(a, b):\n", suffix: "\n" }],
      parameters: { temperature: 0.2, maxOutputTokens: 32, topP: 0.95, topK: 40 },
    })
  })

  it("passes explicit zero parameters and an empty stop list through", async () => {
    fake.enqueue(vertex.predict("x"))
    await run(
      options,
      complete("code-bison@002", "p", undefined, { temperature: 0, topK: 0, topP: 0, stopSequences: [] }),
    )
    expect(fake.requests[0]!.body.parameters).toEqual({
      temperature: 0,
      maxOutputTokens: 2048,
      topP: 0,
      topK: 0,
      stopSequences: [],
    })
  })

  it("uses the {content} instance for text-bison", async () => {
    fake.enqueue(vertex.predict("answer"))
    await run(options, complete("text-bison@002", "Explain this"))
    expect(fake.requests[0]!.body.instances).toEqual([{ content: "Explain this" }])
  })

  it("accepts a prediction without score", async () => {
    fake.enqueue((_, res) => sendJson(res, 200, { predictions: [{ content: "ok" }] }))
    expect((await run(options, complete("code-bison@002", "p"))).text).toBe("ok")
  })

  it("turns safetyAttributes.blocked into Blocked", async () => {
    fake.enqueue(vertex.predict("", { blocked: true }))
    const error = await failureOf(options, complete("code-gecko@002", "p", "s"))
    expect(error).toMatchObject({ _tag: "Blocked", engine: "vertex-ai", model: "code-gecko@002" })
    expect(error.kind).toBe("blocked")
  })

  it("streams a predict answer as one chunk", async () => {
    fake.enqueue(vertex.predict("whole answer"))
    const chunks = await run(
      options,
      Effect.gen(function* () {
        const text = yield* TextModel
        return yield* Stream.runCollect(text.stream({ model: yield* entry("code-gecko@002"), prefix: "p" }))
      }),
    )
    expect(chunks).toEqual(["whole answer"])
  })

  it("maps a 429 with retry-after and retries it", async () => {
    fake.enqueue(status(429, { "retry-after": "0" }), vertex.predict("ok"))
    expect((await run(options, complete("code-gecko@002", "p"))).text).toBe("ok")
    expect(fake.requests).toHaveLength(2)
  })
})

describe(":rawPredict (Codestral behind a retired alias)", () => {
  it("sends the FIM body to the partner model and reads its answer", async () => {
    fake.enqueue((_, res) => sendJson(res, 200, vertex.rawPredictJson("a + b")))
    const result = await run(
      { ...options, catalog },
      complete("code-gecko@002", "def add(a, b):\n    return ", "\n"),
    )
    expect(result).toEqual({ engine: "vertex-ai", name: "code-gecko@002", text: "a + b" })
    const [request] = fake.requests
    expect(request!.url).toBe(
      "/v1/projects/proj/locations/us-central1/publishers/mistralai/models/codestral-2501:rawPredict",
    )
    expect(request!.body).toEqual({
      model: "codestral-2501",
      prompt: "def add(a, b):\n    return ",
      suffix: "\n",
      max_tokens: 32,
      temperature: 0.2,
      top_p: 0.95,
      stream: false,
    })
  })

  it("streams :streamRawPredict events", async () => {
    fake.enqueue((_, res) => sendSse(res, openai.chatStream(["a", " +", " b"])))
    const chunks = await run(
      { ...options, catalog },
      Effect.gen(function* () {
        const text = yield* TextModel
        return yield* Stream.runCollect(
          text.stream({ model: yield* entry("code-gecko@002"), prefix: "p", suffix: "s" }),
        )
      }),
    )
    expect(chunks).toEqual(["a", " +", " b"])
    expect(fake.requests[0]!.url).toContain(":streamRawPredict")
    expect(fake.requests[0]!.body.stream).toBe(true)
  })
})

describe("Gemini", () => {
  const ask = Effect.gen(function* () {
    const chat = yield* ChatModel
    return yield* chat.generate({
      model: yield* entry("gemini-flash"),
      messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Hi" }],
      parameters: { temperature: 0, topK: 0 },
    })
  })

  it("calls generateContent in Vertex mode with the token, system instruction and parameters", async () => {
    fake.enqueue(vertex.gemini("Hello!"))
    const result = await run({ ...options, catalog }, ask)
    expect(result).toEqual({ engine: "vertex-ai", name: "gemini-flash", text: "Hello!" })
    const [request] = fake.requests
    expect(request!.url).toBe(
      "/v1/projects/proj/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent",
    )
    expect(request!.headers.authorization).toBe(`Bearer ${testToken}`)
    expect(request!.body.contents).toEqual([{ role: "user", parts: [{ text: "Hi" }] }])
    expect(request!.body.systemInstruction).toMatchObject({ parts: [{ text: "Be brief." }] })
    expect(request!.body.generationConfig).toMatchObject({
      temperature: 0,
      topK: 0,
      maxOutputTokens: 2048,
      topP: 0.95,
    })
  })

  it("streams streamGenerateContent chunk by chunk", async () => {
    const second = gate()
    fake.enqueue((_, res) => sendSse(res, vertex.geminiStream(["Hel", second, "lo"])))
    const { first, rest } = await run(
      { ...options, catalog },
      Effect.scoped(Effect.gen(function* () {
        const chat = yield* ChatModel
        const pull = yield* Stream.toPull(
          chat.stream({ model: yield* entry("gemini-flash"), messages: [{ role: "user", content: "Hi" }] }),
        )
        const first = yield* pull
        second.open()
        return { first, rest: yield* Stream.runCollect(Stream.fromPull(Effect.succeed(pull))) }
      })),
    )
    expect(first).toEqual(["Hel"])
    expect(rest).toEqual(["lo"])
    expect(fake.requests[0]!.url).toContain(":streamGenerateContent?alt=sse")
  })

  it("fails a Gemini stream cut before its finish reason", async () => {
    fake.enqueue((_, res) =>
      sendSse(res, [{ data: JSON.stringify({ candidates: [{ content: { parts: [{ text: "Hel" }] } }] }) }], {
        end: "reset",
      })
    )
    const { chunks, exit } = await run(
      { ...options, catalog },
      Effect.gen(function* () {
        const chat = yield* ChatModel
        return yield* drain(
          chat.stream({ model: yield* entry("gemini-flash"), messages: [{ role: "user", content: "Hi" }] }),
        )
      }),
    )
    expect(chunks).toEqual(["Hel"])
    expect(Exit.isFailure(exit)).toBe(true)
  })

  it("maps a SAFETY finish to Blocked and a 500 to UpstreamStatus", async () => {
    fake.enqueue((_, res) => sendJson(res, 200, vertex.geminiJson("", "SAFETY")))
    expect(await failureOf({ ...options, catalog }, ask)).toMatchObject({
      _tag: "Blocked",
      model: "gemini-flash",
    })
    fake.enqueue(status(500), status(500))
    expect(await failureOf({ ...options, catalog }, ask)).toMatchObject({
      _tag: "UpstreamStatus",
      status: 500,
    })
  })
})

describe("malformed answers", () => {
  const answer = (body: unknown): Handler => (_, res) => sendJson(res, 200, body)
  const chat = (messages: ReadonlyArray<{ readonly role: "user"; readonly content: string }>) =>
    Effect.gen(function* () {
      const model = yield* ChatModel
      return yield* drain(model.stream({ model: yield* entry("gemini-flash"), messages }))
    })

  it("fails a :predict answer whose predictions are not a list with UpstreamConnection", async () => {
    const malformed = answer({ predictions: { content: "x" } })
    fake.enqueue(malformed, malformed)
    const error = await failureOf(options, complete("code-gecko@002", "p"))
    expect(error).toMatchObject({ _tag: "UpstreamConnection", engine: "vertex-ai", model: "code-gecko@002" })
    expect(error.kind).toBe("connection")
    expect(error.message).toContain("invalid answer: Expected array at predictions")
  })

  it("fails a :rawPredict answer of the wrong shape", async () => {
    const malformed = answer({ choices: [{ message: { content: 7 } }] })
    fake.enqueue(malformed, malformed)
    const error = await failureOf({ ...options, catalog }, complete("code-gecko@002", "p", "s"))
    expect(error).toMatchObject({ _tag: "UpstreamConnection", model: "code-gecko@002" })
    expect(error.message).toContain("at choices.0.message.content")
  })

  it("fails a Gemini answer whose parts are not a list, instead of crashing", async () => {
    const malformed = answer({
      candidates: [{ content: { role: "model", parts: "Hello" }, finishReason: "STOP" }],
    })
    fake.enqueue(malformed, malformed)
    const error = await failureOf(
      { ...options, catalog },
      Effect.gen(function* () {
        const model = yield* ChatModel
        return yield* model.generate({
          model: yield* entry("gemini-flash"),
          messages: [{ role: "user", content: "Hi" }],
        })
      }),
    )
    expect(error).toMatchObject({ _tag: "UpstreamConnection", model: "gemini-flash" })
    expect(error.message).toContain("at candidates.0.content.parts")
  })

  it("fails a Gemini stream at a chunk of the wrong shape, keeping the chunks before it", async () => {
    fake.enqueue((_, res) =>
      sendSse(res, [
        { data: JSON.stringify({ candidates: [{ content: { parts: [{ text: "Hel" }] } }] }) },
        {
          data: JSON.stringify({ candidates: [{ content: { parts: [{ text: 5 }] }, finishReason: "STOP" }] }),
        },
      ])
    )
    const { chunks, exit } = await run({ ...options, catalog }, chat([{ role: "user", content: "Hi" }]))
    expect(chunks).toEqual(["Hel"])
    const failure = typedFailure(exit)
    expect(failure).toMatchObject({ _tag: "UpstreamConnection", model: "gemini-flash" })
    expect(failure?.message).toContain("at candidates.0.content.parts.0.text")
  })

  it("fails a Gemini stream that ends cleanly without a finish reason", async () => {
    fake.enqueue((_, res) =>
      sendSse(res, [{ data: JSON.stringify({ candidates: [{ content: { parts: [{ text: "Hel" }] } }] }) }])
    )
    const { chunks, exit } = await run({ ...options, catalog }, chat([{ role: "user", content: "Hi" }]))
    expect(chunks).toEqual(["Hel"])
    const failure = typedFailure(exit)
    expect(failure).toMatchObject({
      _tag: "UpstreamConnection",
      detail: "stream ended before its finish reason",
    })
  })
})
