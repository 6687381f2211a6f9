/**
 * The model catalog: built-in names of the original, defaults per use case, lookups that fail
 * with UnknownModel, and a catalog file (YAML or JSON) that remaps aliases and adds models.
 */
import { NodeFileSystem } from "@effect/platform-node"
import { Effect, Layer, Result } from "effect"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { AppConfig } from "../../src/config/AppConfig.ts"
import { makeCatalog, ModelCatalog, parseCatalogText } from "../../src/models/catalog.ts"

const builtin = Result.getOrThrow(makeCatalog(undefined))
const resolve = (file: unknown, ...args: Parameters<ModelCatalog["Service"]["resolve"]>) =>
  Effect.runPromise(
    Effect.flatMap(Effect.service(ModelCatalog), (c) => Effect.result(c.resolve(...args))).pipe(
      Effect.provide(ModelCatalog.layerFrom(file)),
    ),
  )

/** The upstream ids the built-ins may send: the providers' current models (docs/models.md). */
const currentIds = ["claude-sonnet-5-5", "claude-haiku-5-5", "codestral-2", "gemini-3.5-flash"]

/**
 * Upstream ids the providers have retired (Anthropic's model deprecations page; Mistral's model
 * catalog; Vertex AI's model versions page). None may be reached by default.
 */
const retiredIds = [
  "claude-instant-1.1",
  "claude-instant-1.2",
  "claude-2.0",
  "claude-2.1",
  "claude-3-opus-20240229",
  "claude-3-sonnet-20240229",
  "claude-3-haiku-20240307",
  "claude-3-5-sonnet-20240620",
  "claude-3-5-sonnet-20241022",
  "claude-3-5-haiku-20241022",
  "claude-3-7-sonnet-20250219",
  "claude-sonnet-4-20250514",
  "claude-sonnet-4-5-20250929",
  "code-gecko@002",
  "code-bison@002",
  "text-bison@002",
  "codestral-2405",
  "codestral-2501",
  "gemini-2.5-flash",
]

describe("built-in catalog", () => {
  it.each([
    ["code-gecko@002", "vertex-ai", "codestral-2", "raw-predict", ["completion"]],
    ["codestral@2405", "vertex-ai", "codestral-2", "raw-predict", ["completion"]],
    ["code-bison@002", "vertex-ai", "gemini-3.5-flash", "gemini", ["generation"]],
    ["text-bison@002", "vertex-ai", "gemini-3.5-flash", "gemini", ["generation"]],
    ["claude-instant-1.1", "anthropic", "claude-haiku-5-5", "messages", ["completion", "generation", "chat"]],
    ["claude-instant-1.2", "anthropic", "claude-haiku-5-5", "messages", ["completion", "generation", "chat"]],
    ["claude-3-haiku-20240307", "anthropic", "claude-haiku-5-5", "messages", [
      "completion",
      "generation",
      "chat",
    ]],
    ["claude-3-5-haiku-20241022", "anthropic", "claude-haiku-5-5", "messages", [
      "completion",
      "generation",
      "chat",
    ]],
    ["claude-2.0", "anthropic", "claude-sonnet-5-5", "messages", ["completion", "generation", "chat"]],
    ["claude-2.1", "anthropic", "claude-sonnet-5-5", "messages", ["completion", "generation", "chat"]],
    ["claude-3-opus-20240229", "anthropic", "claude-sonnet-5-5", "messages", [
      "completion",
      "generation",
      "chat",
    ]],
    ["claude-3-sonnet-20240229", "anthropic", "claude-sonnet-5-5", "messages", [
      "completion",
      "generation",
      "chat",
    ]],
    ["claude-3-5-sonnet-20240620", "anthropic", "claude-sonnet-5-5", "messages", [
      "completion",
      "generation",
      "chat",
    ]],
    ["claude-3-5-sonnet-20241022", "anthropic", "claude-sonnet-5-5", "messages", [
      "completion",
      "generation",
      "chat",
    ]],
    ["claude-3-7-sonnet-20250219", "anthropic", "claude-sonnet-5-5", "messages", [
      "completion",
      "generation",
      "chat",
    ]],
    ["claude-sonnet-4-20250514", "anthropic", "claude-sonnet-5-5", "messages", [
      "completion",
      "generation",
      "chat",
    ]],
    ["claude-sonnet-5-5", "anthropic", "claude-sonnet-5-5", "messages", ["completion", "generation", "chat"]],
    ["claude-haiku-5-5", "anthropic", "claude-haiku-5-5", "messages", ["completion", "generation", "chat"]],
  ])("maps %s to %s's current %s", (name, provider, upstream, api, useCases) => {
    expect(builtin.models.get(name)).toMatchObject({ name, provider, upstream, api, useCases })
  })

  it("sends nothing to a retired upstream id, only to current ones", () => {
    const upstreams = new Set([...builtin.models.values()].map((entry) => entry.upstream))
    expect([...upstreams].filter((id) => retiredIds.includes(id))).toEqual([])
    expect([...upstreams].sort()).toEqual([...currentIds].sort())
  })

  it("sends no sampling parameters or prefill to Claude models that refuse them", () => {
    const claude = [...builtin.models.values()].filter((entry) => entry.provider === "anthropic")
    expect(claude.length).toBeGreaterThan(0)
    for (const entry of claude) {
      expect(entry).toMatchObject({ samplingParameters: false, prefill: false })
      expect(entry.parameters.temperature).toBeUndefined()
    }
  })

  it("has the original's defaults per use case", async () => {
    const names = await Promise.all([
      resolve(undefined, "anthropic", "completion"),
      resolve(undefined, "anthropic", "generation"),
      resolve(undefined, "anthropic", "chat"),
      resolve(undefined, "vertex-ai", "completion"),
      resolve(undefined, "vertex-ai", "generation"),
    ])
    expect(names.map((r) => Result.isSuccess(r) ? r.success.name : r.failure)).toEqual([
      "claude-instant-1.2",
      "claude-2.0",
      "claude-2.0",
      "code-gecko@002",
      "code-bison@002",
    ])
  })

  it("rejects a name of another provider or use case with UnknownModel naming it", async () => {
    const wrongUseCase = await resolve(undefined, "vertex-ai", "completion", "code-bison@002")
    const wrongProvider = await resolve(undefined, "vertex-ai", "completion", "claude-instant-1.2")
    const noDefault = await resolve(undefined, "vertex-ai", "chat")
    expect(Result.isFailure(wrongUseCase) && wrongUseCase.failure).toMatchObject({
      _tag: "UnknownModel",
      model: "code-bison@002",
    })
    expect(Result.isFailure(wrongUseCase) && wrongUseCase.failure.message).toContain("code-bison@002")
    expect(Result.isFailure(wrongProvider) && wrongProvider.failure).toMatchObject({
      model: "claude-instant-1.2",
      provider: "vertex-ai",
    })
    expect(Result.isFailure(noDefault) && noDefault.failure.message).toContain("no default chat model")
  })
})

describe("catalog file", () => {
  const yaml = `
models:
  claude-2.1:
    upstream: claude-sonnet-4-5
    api: messages
    stopSequences: []
  codestral:
    provider: vertex-ai
    upstream: codestral-2501
    api: raw-predict
    useCases: [completion]
    contextTokens: 32000
    parameters: { temperature: 0, maxTokens: 64 }
defaults:
  vertex-ai:
    completion: codestral
`

  it("points an alias at a current model and keeps its other fields", () => {
    const catalog = Result.getOrThrow(parseCatalogText(yaml, "models.yaml"))
    expect(catalog.models.get("claude-2.1")).toMatchObject({
      name: "claude-2.1",
      provider: "anthropic",
      upstream: "claude-sonnet-4-5",
      api: "messages",
      contextTokens: 200_000,
      useCases: ["completion", "generation", "chat"],
      stopSequences: [],
      parameters: { maxTokens: 2048 },
      samplingParameters: false,
    })
    expect(catalog.models.get("codestral")).toMatchObject({ parameters: { temperature: 0, maxTokens: 64 } })
    expect(catalog.defaults["vertex-ai"]).toEqual({ completion: "codestral", generation: "code-bison@002" })
  })

  it("reads JSON too", () => {
    const catalog = Result.getOrThrow(
      parseCatalogText(
        JSON.stringify({ models: { "code-gecko@002": { upstream: "code-gecko@003" } } }),
        "c.json",
      ),
    )
    expect(catalog.models.get("code-gecko@002")!.upstream).toBe("code-gecko@003")
  })

  it.each([
    [{ models: { x: { provider: "anthropic" } } }, `model "x"`],
    [{ models: { "claude-2.1": { api: "predict" } } }, "not one of anthropic's"],
    [{
      models: {
        y: {
          provider: "openai-compatible",
          upstream: "m",
          api: "completions",
          useCases: ["completion"],
          contextTokens: 10,
        },
      },
    }, "needs a baseUrl"],
    [{ defaults: { anthropic: { completion: "code-gecko@002" } } }, "default completion model of anthropic"],
    [{ models: { "claude-2.1": { parameters: { temperature: -1 } } } }, "claude-2.1"],
  ])("rejects an invalid file, naming what is wrong (%#)", (file, message) => {
    const result = makeCatalog(file, "bad.yaml")
    expect(Result.isFailure(result)).toBe(true)
    if (Result.isFailure(result)) {
      expect(result.failure.line).toContain("bad.yaml")
      expect(result.failure.line).toContain(message)
    }
  })

  it("is read from AIGW_MODELS__CATALOG_FILE by the production layer", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aigw-catalog-"))
    const file = join(dir, "models.yaml")
    writeFileSync(file, yaml)
    const entry = await Effect.runPromise(
      Effect.flatMap(
        Effect.service(ModelCatalog),
        (catalog) => catalog.resolve("anthropic", "generation", "claude-2.1"),
      ).pipe(
        Effect.provide(ModelCatalog.layer.pipe(
          Layer.provide(
            Layer.mergeAll(AppConfig.layerTest({ AIGW_MODELS__CATALOG_FILE: file }), NodeFileSystem.layer),
          ),
        )),
      ),
    )
    expect(entry.upstream).toBe("claude-sonnet-4-5")
  })
})
