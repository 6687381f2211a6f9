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

describe("built-in catalog", () => {
  it.each([
    ["code-gecko@002", "vertex-ai", 2048, ["completion"]],
    ["code-bison@002", "vertex-ai", 4096, ["generation"]],
    ["text-bison@002", "vertex-ai", 8192, ["generation"]],
    ["claude-instant-1.1", "anthropic", 100_000, ["completion", "chat"]],
    ["claude-instant-1.2", "anthropic", 100_000, ["completion", "chat"]],
    ["claude-2.0", "anthropic", 100_000, ["generation", "chat"]],
    ["claude-2.1", "anthropic", 200_000, ["generation", "chat"]],
    ["claude-3-opus-20240229", "anthropic", 200_000, ["generation", "chat"]],
    ["claude-3-sonnet-20240229", "anthropic", 200_000, ["generation", "chat"]],
    ["claude-3-haiku-20240307", "anthropic", 200_000, ["generation", "chat"]],
  ])("knows %s", (name, provider, contextTokens, useCases) => {
    expect(builtin.models.get(name)).toMatchObject({
      name,
      provider,
      contextTokens,
      useCases,
      upstream: name,
    })
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
    const wrongUseCase = await resolve(undefined, "anthropic", "completion", "claude-2.1")
    const wrongProvider = await resolve(undefined, "vertex-ai", "completion", "claude-instant-1.2")
    const noDefault = await resolve(undefined, "vertex-ai", "chat")
    expect(Result.isFailure(wrongUseCase) && wrongUseCase.failure).toMatchObject({
      _tag: "UnknownModel",
      model: "claude-2.1",
    })
    expect(Result.isFailure(wrongUseCase) && wrongUseCase.failure.message).toContain("claude-2.1")
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
      useCases: ["generation", "chat"],
      stopSequences: [],
      parameters: { temperature: 0.2, maxTokens: 2048 },
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
    [{ defaults: { anthropic: { completion: "claude-2.1" } } }, "default completion model of anthropic"],
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
