/**
 * The mock models (`AIGW_MOCK_MODEL_RESPONSES` / `AIGW_USE_FAKE_MODELS`): an echo of what they
 * were asked, streamed in whitespace-split chunks, under the mocked names, with no upstream.
 */
import { Effect, Stream } from "effect"
import { describe, expect, it } from "vitest"
import { ModelCatalog } from "../../src/models/catalog.ts"
import { run } from "./harness.ts"
import { ChatModel, TextModel } from "../../src/models/modelCall.ts"

const gecko = Effect.map(Effect.service(ModelCatalog), (catalog) => catalog.get("code-gecko@002")!)

describe.each(["AIGW_MOCK_MODEL_RESPONSES", "AIGW_USE_FAKE_MODELS"])("mock models via %s", (variable) => {
  const options = { env: { [variable]: "true" } }

  it("echoes prefix, suffix, stream and parameters as llm-mocked", async () => {
    const result = await run(
      options,
      Effect.gen(function* () {
        const text = yield* TextModel
        return yield* text.generate({
          model: yield* gecko,
          prefix: "def f(",
          suffix: "):",
          parameters: { temperature: 0 },
        })
      }),
    )
    expect(result.engine).toBe("llm-provider-mocked")
    expect(result.name).toBe("llm-mocked")
    expect(result.text).toBe(
      `echo: ${
        JSON.stringify({ prefix: "def f(", suffix: "):", stream: false, parameters: { temperature: 0 } })
      }`,
    )
  })

  it("streams the echo in whitespace-split chunks that join back to it", async () => {
    const chunks = await run(
      options,
      Effect.gen(function* () {
        const text = yield* TextModel
        return yield* Stream.runCollect(text.stream({ model: yield* gecko, prefix: "a b  c", suffix: "" }))
      }),
    )
    expect(chunks.length).toBeGreaterThan(3)
    expect(chunks.join("")).toBe(
      `echo: ${JSON.stringify({ prefix: "a b  c", suffix: "", stream: true, parameters: {} })}`,
    )
    for (const chunk of chunks) expect(chunk.trim()).not.toMatch(/\s/)
  })

  it("answers chat as chat-model-mocked", async () => {
    const result = await run(
      options,
      Effect.gen(function* () {
        const chat = yield* ChatModel
        const model = (yield* Effect.service(ModelCatalog)).get("claude-2.0")!
        return {
          result: yield* chat.generate({ model, messages: [{ role: "user", content: "hi" }] }),
          identity: chat.identify(model),
        }
      }),
    )
    expect(result.identity).toEqual({ engine: "chat-model-provider-mocked", name: "chat-model-mocked" })
    expect(result.result.text).toBe(
      `echo: ${
        JSON.stringify({ messages: [{ role: "user", content: "hi" }], stream: false, parameters: {} })
      }`,
    )
  })
})

describe("production wiring", () => {
  it("ModelsLayer builds from AppConfig, a FileSystem and an HttpClient and serves the models", async () => {
    const { NodeFileSystem } = await import("@effect/platform-node")
    const { Layer } = await import("effect")
    const { AppConfig } = await import("../../src/config/AppConfig.ts")
    const { ModelsLayer } = await import("../../src/models/layer.ts")
    const { Metrics } = await import("../../src/observability/Metrics.ts")
    const UpstreamClient = await import("../../src/net/upstreamClient.ts")
    const layer = ModelsLayer.pipe(
      Layer.provide(
        Layer.mergeAll(
          AppConfig.layerTest({ AIGW_MOCK_MODEL_RESPONSES: "true" }),
          NodeFileSystem.layer,
          Metrics.layer,
          UpstreamClient.layerForRuntime,
        ),
      ),
    )
    const result = await Effect.runPromise(
      Effect.gen(function* () {
        const text = yield* TextModel
        const model = yield* (yield* Effect.service(ModelCatalog)).resolve("vertex-ai", "completion")
        return yield* text.generate({ model, prefix: "x" })
      }).pipe(Effect.provide(layer)),
    )
    expect(result.name).toBe("llm-mocked")
  })
})
