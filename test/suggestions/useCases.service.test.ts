/**
 * Completions and Generations as services: the use cases over the echoing mock models (which
 * answer with the JSON of what they were asked), the real catalog, preparation, tree-sitter and
 * post-processing. What the model was asked is read back from the echo.
 */
import { assert, layer } from "@effect/vitest"
import { Effect, Layer, Stream } from "effect"
import { AppConfig } from "../../src/config/AppConfig.ts"
import { ModelCatalog } from "../../src/models/catalog.ts"
import { ChatModel, TextModel } from "../../src/models/modelCall.ts"
import { Metrics } from "../../src/observability/Metrics.ts"
import { Tracking } from "../../src/observability/Tracking.ts"
import { type CompletionInput, Completions } from "../../src/suggestions/Completions.ts"
import { Experiments } from "../../src/suggestions/experiments.ts"
import { type GenerationInput, Generations } from "../../src/suggestions/Generations.ts"
import { PostProcessor } from "../../src/suggestions/PostProcessor.ts"
import { Preparation } from "../../src/suggestions/Preparation.ts"
import type { Suggestion } from "../../src/suggestions/Suggestion.ts"
import { TreeSitter } from "../../src/suggestions/treesitter.ts"
import { legacyCatalog } from "../support/legacyCatalog.ts"

const useCases = (catalog?: unknown) =>
  Layer.mergeAll(Completions.layer, Generations.layer).pipe(
    Layer.provide(Layer.mergeAll(Preparation.layer, PostProcessor.layer, Experiments.layer)),
    Layer.provide(
      Layer.mergeAll(
        TextModel.layerMock,
        ChatModel.layerMock,
        ModelCatalog.layerFrom(catalog),
        Tracking.layerOff,
      ),
    ),
    Layer.provide(TreeSitter.layer),
    Layer.provideMerge(Layer.mergeAll(Metrics.layer, AppConfig.layerTest({}))),
  )

const completion = (overrides: Partial<CompletionInput> = {}): CompletionInput => ({
  promptVersion: 1,
  fileName: "app.py",
  languageIdentifier: undefined,
  prefix: "import os\n\ndef add(x, y):\n    return ",
  suffix: "\n\nprint(add(1, 2))\n",
  provider: undefined,
  modelName: undefined,
  prompt: undefined,
  stream: false,
  ...overrides,
})

const generation = (overrides: Partial<GenerationInput> = {}): GenerationInput => ({
  ...completion(),
  prompt: undefined,
  ...overrides,
})

/** What the mock model was asked, from its `echo: {json}` answer. */
const asked = (suggestion: Suggestion) => {
  assert.strictEqual(suggestion._tag, "Text")
  const text = suggestion._tag === "Text" ? suggestion.text : ""
  assert.isTrue(text.startsWith("echo: "), text)
  return JSON.parse(text.slice("echo: ".length))
}

layer(useCases())("Completions", (it) => {
  it.effect("fills in the middle on the default Vertex model, with both sides of the cursor", () =>
    Effect.gen(function* () {
      const suggestion = yield* (yield* Completions).complete(completion())
      const request = asked(suggestion)
      assert.include(request.prefix, "def add(x, y):\n    return ")
      assert.include(request.prefix, "app.py")
      assert.strictEqual(request.suffix, "\n\nprint(add(1, 2))\n")
      assert.deepStrictEqual(suggestion.model, { engine: "llm-provider-mocked", name: "llm-mocked" })
      assert.strictEqual(suggestion.lang, "python")
      assert.deepStrictEqual(suggestion.experiments, [{ name: "exp_truncate_suffix", variant: 0 }])
      assert.deepStrictEqual(suggestion.inputLengths, { prefix: 37, suffix: 19 })
    }))

  it.effect("sends the client's prompt as it is with prompt_version 2", () =>
    Effect.gen(function* () {
      const suggestion = yield* (yield* Completions).complete(
        completion({ promptVersion: 2, prompt: "say hi" }),
      )
      assert.deepStrictEqual(asked(suggestion), {
        prefix: "say hi",
        suffix: "",
        stream: false,
        parameters: {},
      })
      assert.deepStrictEqual(suggestion.experiments, [])
    }))

  it.effect("asks Anthropic models through a conversation with the cursor marked", () =>
    Effect.gen(function* () {
      const suggestion = yield* (yield* Completions).complete(completion({ provider: "anthropic" }))
      const request = asked(suggestion)
      assert.include(request.system, "app.py")
      assert.deepStrictEqual(request.messages, [{
        role: "user",
        content: "import os\n\ndef add(x, y):\n    return <cursor/>\n\nprint(add(1, 2))\n",
      }])
      assert.deepStrictEqual(suggestion.model, {
        engine: "chat-model-provider-mocked",
        name: "chat-model-mocked",
      })
    }))

  it.effect("streams the model's chunks unprocessed", () =>
    Effect.gen(function* () {
      const suggestion = yield* (yield* Completions).complete(completion({ stream: true }))
      assert.strictEqual(suggestion._tag, "Stream")
      if (suggestion._tag !== "Stream") return
      const chunks = yield* Stream.runCollect(suggestion.chunks)
      assert.isAbove(chunks.length, 1)
      assert.include(chunks.join(""), '"stream":true')
    }))

  it.effect("rejects a model the provider does not serve, naming the field", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip((yield* Completions).complete(completion({ modelName: "gpt-9" })))
      assert.deepStrictEqual(error.field, ["model_name"])
    }))

  it.effect("rejects prompt_version 2 without a prompt and prompt_version 3", () =>
    Effect.gen(function* () {
      const completions = yield* Completions
      assert.deepStrictEqual(
        (yield* Effect.flip(completions.complete(completion({ promptVersion: 2 })))).field,
        [
          "prompt",
        ],
      )
      assert.deepStrictEqual(
        (yield* Effect.flip(completions.complete(completion({ promptVersion: 3 })))).field,
        ["prompt_version"],
      )
    }))
})

/**
 * What the mock model was asked for a generation: streamed, since generation post-processing
 * would cut the echo at the `</new_code>` it contains.
 */
const askedStreaming = (suggestion: Suggestion) =>
  Effect.gen(function* () {
    assert.strictEqual(suggestion._tag, "Stream")
    if (suggestion._tag !== "Stream") return {}
    const text = (yield* Stream.runCollect(suggestion.chunks)).join("")
    return JSON.parse(text.slice("echo: ".length))
  })

layer(useCases())("Generations", (it) => {
  it.effect("post-processes a whole answer: only the text inside the <new_code> tags, after a newline", () =>
    Effect.gen(function* () {
      // The echo repeats the instruction, whose "between <new_code> and </new_code>" is the only
      // tagged text; the code before the cursor ends without a newline, so one is put first.
      const suggestion = yield* (yield* Generations).generate(generation())
      assert.strictEqual(suggestion._tag, "Text")
      if (suggestion._tag === "Text") assert.strictEqual(suggestion.text, "\n and ")
    }))

  it.effect("builds the generation instruction with prompt_version 1", () =>
    Effect.gen(function* () {
      const suggestion = yield* (yield* Generations).generate(generation({ stream: true }))
      const request = yield* askedStreaming(suggestion)
      assert.include(request.prefix, "<existing_code>")
      assert.include(request.prefix, "return <cursor/>")
      assert.strictEqual(suggestion.lang, "python")
    }))

  it.effect("sends an Anthropic string prompt with its stop sequences (prompt_version 2)", () =>
    Effect.gen(function* () {
      const suggestion = yield* (yield* Generations).generate(
        generation({
          promptVersion: 2,
          provider: "anthropic",
          prompt: "\n\nHuman: hi\n\nAssistant:",
          stream: true,
        }),
      )
      const request = yield* askedStreaming(suggestion)
      assert.strictEqual(request.prefix, "\n\nHuman: hi\n\nAssistant:")
      assert.deepStrictEqual(request.parameters, { stopSequences: ["</new_code>", "\n\nHuman:"] })
    }))

  it.effect("sends messages to a conversational model (prompt_version 3), system first", () =>
    Effect.gen(function* () {
      const suggestion = yield* (yield* Generations).generate(generation({
        promptVersion: 3,
        provider: "anthropic",
        modelName: "claude-3-haiku-20240307",
        prompt: [{ role: "system", content: "be brief" }, { role: "user", content: "write add" }],
        stream: true,
      }))
      const request = yield* askedStreaming(suggestion)
      assert.strictEqual(request.system, "be brief")
      assert.deepStrictEqual(request.messages, [{ role: "user", content: "write add" }])
      assert.deepStrictEqual(request.parameters, { stopSequences: ["</new_code>"] })
    }))
})

layer(useCases(legacyCatalog))("Generations on a text-only model", (it) => {
  it.effect("refuses messages for a model that takes text only", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip((yield* Generations).generate(generation({
        promptVersion: 3,
        prompt: [{ role: "user", content: "write add" }],
      })))
      assert.deepStrictEqual(error.field, ["prompt_version"])
    }))
})
