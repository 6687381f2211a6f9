/**
 * Resilience around real provider calls (Anthropic SDK and REST paths) against loopback fakes:
 * retries only for 429/5xx/connection errors and only before the first chunk, `retry-after`,
 * timeouts, and concurrency caps under parallel load.
 */
import { Deferred, type Duration, Effect, Exit, Fiber, Stream } from "effect"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { ModelCatalog } from "../../src/models/catalog.ts"
import * as anthropic from "../support/fakes/anthropic.ts"
import * as openai from "../support/fakes/openai.ts"
import { after, type FakeUpstream, gate, hang, startFake, status } from "../support/fakes/server.ts"
import { drain, failureOf, type HarnessOptions, run } from "./harness.ts"
import { ChatModel, TextModel } from "../../src/models/modelCall.ts"

let fake: FakeUpstream
let options: HarnessOptions

beforeEach(async () => {
  fake = await startFake()
  options = { env: { ANTHROPIC_API_KEY: "sk-test", AIGW_ANTHROPIC__BASE_URL: fake.url } }
})
afterEach(() => fake.close())

const haiku = Effect.map(Effect.service(ModelCatalog), (catalog) => catalog.get("claude-3-haiku-20240307")!)
const ask = (messages = "hi") =>
  Effect.gen(function* () {
    const chat = yield* ChatModel
    return yield* chat.generate({ model: yield* haiku, messages: [{ role: "user", content: messages }] })
  })

describe("retries", () => {
  it("retries a 500 and returns the next answer", async () => {
    fake.enqueue(status(500), anthropic.message("second time lucky"))
    const result = await run(options, ask())
    expect(result.text).toBe("second time lucky")
    expect(fake.requests).toHaveLength(2)
  })

  it("waits for retry-after on a 429 before retrying", async () => {
    fake.enqueue(status(429, { "retry-after": "0.3" }), anthropic.message("ok"))
    const started = Date.now()
    const result = await run(options, ask())
    expect(result.text).toBe("ok")
    expect(fake.requests).toHaveLength(2)
    expect(Date.now() - started).toBeGreaterThanOrEqual(280)
  })

  it("does not wait for a retry-after longer than the longest delay: the 429 is the answer", async () => {
    fake.enqueue(status(429, { "retry-after": "120" }))
    const error = await failureOf(options, ask())
    expect(error).toMatchObject({ _tag: "UpstreamStatus", status: 429, retryAfterSeconds: 120 })
    expect(fake.requests).toHaveLength(1)
  })

  it("gives up after the configured retries with the last status", async () => {
    fake.enqueue(status(503), status(503), status(503))
    const error = await failureOf({ ...options, resilience: { retries: 1 } }, ask())
    expect(error).toMatchObject({ _tag: "UpstreamStatus", status: 503 })
    expect(fake.requests).toHaveLength(2)
  })

  it("retries a stream that fails before its first chunk", async () => {
    fake.enqueue(status(502), anthropic.sse(anthropic.messageStream(["a", "b"])))
    const chunks = await run(
      options,
      Effect.gen(function* () {
        const chat = yield* ChatModel
        return yield* Stream.runCollect(
          chat.stream({ model: yield* haiku, messages: [{ role: "user", content: "hi" }] }),
        )
      }),
    )
    expect(chunks).toEqual(["a", "b"])
    expect(fake.requests).toHaveLength(2)
  })

  it("does not retry a stream after its first chunk: the failure reaches the consumer", async () => {
    fake.enqueue(
      anthropic.sse(anthropic.messageStream(["a"], { complete: false }), "reset"),
      anthropic.sse(anthropic.messageStream(["x"])),
    )
    const { chunks, exit } = await run(
      options,
      Effect.gen(function* () {
        const chat = yield* ChatModel
        return yield* drain(chat.stream({ model: yield* haiku, messages: [{ role: "user", content: "hi" }] }))
      }),
    )
    expect(chunks).toEqual(["a"])
    expect(Exit.isFailure(exit)).toBe(true)
    expect(fake.requests).toHaveLength(1)
  })

  it("retries a refused connection, then reports it as a connection error", async () => {
    const closed = await startFake()
    const url = closed.url
    await closed.close()
    const error = await failureOf({ env: { AIGW_ANTHROPIC__BASE_URL: url } }, ask())
    expect(error).toMatchObject({
      _tag: "UpstreamConnection",
      engine: "anthropic",
      model: "claude-3-haiku-20240307",
    })
    expect(error.kind).toBe("connection")
  })
})

describe("timeouts", () => {
  it("fails a call with UpstreamTimeout after the configured timeout, without retrying", async () => {
    fake.enqueue(hang)
    const started = Date.now()
    const error = await failureOf({ ...options, resilience: { timeout: "150 millis" } }, ask())
    expect(error).toMatchObject({ _tag: "UpstreamTimeout", timeoutMillis: 150, engine: "anthropic" })
    expect(error.kind).toBe("timeout")
    expect(Date.now() - started).toBeLessThan(1500)
    expect(fake.requests).toHaveLength(1)
  })

  it("fails a stream that stalls between chunks", async () => {
    const never = gate()
    fake.enqueue(anthropic.sse(anthropic.messageStream(["a", never, "b"])))
    const { chunks, exit } = await run(
      { ...options, resilience: { timeout: "150 millis" } },
      Effect.gen(function* () {
        const chat = yield* ChatModel
        return yield* drain(chat.stream({ model: yield* haiku, messages: [{ role: "user", content: "hi" }] }))
      }),
    )
    expect(chunks).toEqual(["a"])
    expect(String(Exit.isFailure(exit) ? exit.cause : "")).toContain("UpstreamTimeout")
  })

  it("uses a catalog entry's own timeout", async () => {
    fake.enqueue(hang)
    const error = await failureOf({
      ...options,
      catalog: { models: { "claude-3-haiku-20240307": { timeoutSeconds: 0.1 } } },
    }, ask())
    expect(error).toMatchObject({ _tag: "UpstreamTimeout", timeoutMillis: 100 })
  })
})

describe("concurrency caps", () => {
  const limited = (wait: Duration.Input): HarnessOptions => ({
    env: {
      ANTHROPIC_API_KEY: "sk-test",
      AIGW_ANTHROPIC__BASE_URL: fake.url,
      AIGW_MODEL_ENGINE_CONCURRENCY_LIMITS: JSON.stringify({ anthropic: { "claude-3-haiku-20240307": 2 } }),
    },
    resilience: { concurrencyWait: wait },
  })

  it("lets at most N calls reach the upstream; the others fail with ConcurrencyLimited after the wait", async () => {
    const release = gate()
    for (let i = 0; i < 4; i++) fake.enqueue(after(release, anthropic.message(`answer ${i}`)))
    const outcomes = await run(
      limited("100 millis"),
      Effect.gen(function* () {
        // The upstream answers only after the two calls over the cap have given up waiting.
        const twoRefused = yield* Deferred.make<void>()
        let refusedSoFar = 0
        const call = ask().pipe(
          Effect.tapError(() => ++refusedSoFar === 2 ? Deferred.succeed(twoRefused, undefined) : Effect.void),
          Effect.result,
        )
        const fiber = yield* Effect.forkChild(
          Effect.forEach([1, 2, 3, 4], () => call, { concurrency: "unbounded" }),
        )
        yield* Deferred.await(twoRefused)
        release.open()
        return yield* Fiber.join(fiber)
      }),
    )
    const succeeded = outcomes.filter((outcome) => outcome._tag === "Success")
    const refused = outcomes.flatMap((outcome) => outcome._tag === "Failure" ? [outcome.failure] : [])
    expect(succeeded).toHaveLength(2)
    expect(refused).toHaveLength(2)
    for (const error of refused) {
      expect(error).toMatchObject({
        _tag: "ConcurrencyLimited",
        limit: 2,
        engine: "anthropic",
        model: "claude-3-haiku-20240307",
      })
      expect(error.kind).toBe("concurrency")
    }
    expect(fake.requests).toHaveLength(2)
    expect(fake.maxInFlight()).toBe(2)
  })

  it("queues a call while a slot frees up within the wait", async () => {
    for (let i = 0; i < 4; i++) fake.enqueue(anthropic.message(`answer ${i}`))
    const results = await run(
      limited("5 seconds"),
      Effect.forEach([1, 2, 3, 4], () => ask(), { concurrency: "unbounded" }),
    )
    expect(results.map((result) => result.text).sort()).toEqual([
      "answer 0",
      "answer 1",
      "answer 2",
      "answer 3",
    ])
    expect(fake.maxInFlight()).toBeLessThanOrEqual(2)
  })

  it("holds a slot for the whole stream and frees it when the stream ends or fails", async () => {
    fake.enqueue(
      anthropic.sse(anthropic.messageStream(["a"], { complete: false }), "reset"),
      anthropic.sse(anthropic.messageStream(["b"])),
      anthropic.message("c"),
    )
    const env = {
      ANTHROPIC_API_KEY: "sk-test",
      AIGW_ANTHROPIC__BASE_URL: fake.url,
      AIGW_MODEL_ENGINE_CONCURRENCY_LIMITS: JSON.stringify({ anthropic: { "claude-3-haiku-20240307": 1 } }),
    }
    const outcome = await run(
      { env, resilience: { concurrencyWait: "100 millis" } },
      Effect.gen(function* () {
        const chat = yield* ChatModel
        const request = { model: yield* haiku, messages: [{ role: "user" as const, content: "hi" }] }
        const failed = yield* drain(chat.stream(request))
        const ended = yield* Stream.runCollect(chat.stream(request))
        const answered = yield* chat.generate(request)
        return { failed: Exit.isFailure(failed.exit), ended, answered: answered.text }
      }),
    )
    expect(outcome).toEqual({ failed: true, ended: ["b"], answered: "c" })
  })
})

describe("REST providers share the same wrapper", () => {
  it("retries an OpenAI-compatible 500 and times out a hanging one", async () => {
    const catalog = {
      models: {
        local: {
          provider: "openai-compatible",
          upstream: "qwen",
          api: "completions",
          useCases: ["completion"],
          contextTokens: 8192,
          baseUrl: `${fake.url}/v1`,
        },
      },
    }
    fake.enqueue(status(500), openai.completion("ok"), hang)
    const call = Effect.gen(function* () {
      const text = yield* TextModel
      return yield* text.generate({
        model: (yield* Effect.service(ModelCatalog)).get("local")!,
        prefix: "a",
        suffix: "b",
      })
    })
    expect((await run({ catalog }, call)).text).toBe("ok")
    const error = await failureOf({ catalog, resilience: { timeout: "100 millis" } }, call)
    expect(error).toMatchObject({ _tag: "UpstreamTimeout", engine: "openai-compatible", model: "local" })
  })
})
