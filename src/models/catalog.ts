/**
 * The model catalog (SPEC §5): every model name a client may ask for, mapped to its provider,
 * upstream id, wire API, use cases, context size, default parameters and stop sequences, plus
 * the default model of each use case per provider.
 *
 * Built-in entries (builtinModels.ts) keep the original's names valid; an optional catalog file
 * (`AIGW_MODELS__CATALOG_FILE`, YAML or JSON) adds models and overrides any field of a built-in
 * entry, so an alias such as `claude-2.1` can point at a current upstream model. The file is read
 * and validated once at start; a bad file stops the process with a `CatalogError` naming it.
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as SchemaIssue from "effect/SchemaIssue"
import * as SchemaTransformation from "effect/SchemaTransformation"
import * as Struct from "effect/Struct"
import { parse as parseYaml, stringify as stringifyYaml } from "yaml"
import { AppConfig } from "../config/AppConfig.ts"
import { describeIssue } from "../schema/describeIssue.ts"
import { builtinDefaults, builtinModels } from "./builtinModels.ts"
import { UnknownModel } from "./errors.ts"

export const providerNames = ["anthropic", "vertex-ai", "openai-compatible"] as const
export type ProviderName = (typeof providerNames)[number]

export const useCases = ["completion", "generation", "chat"] as const
export type UseCase = (typeof useCases)[number]

/**
 * The upstream wire API a model is called through:
 * - anthropic: `messages` (Messages API) or `text-completions` (legacy `/v1/complete`);
 * - vertex-ai: `predict` (code-gecko/code-bison/text-bison), `raw-predict` (partner models such
 *   as Codestral) or `gemini` (`generateContent` via @google/genai);
 * - openai-compatible: `completions` (`/v1/completions`, FIM with `suffix`) or
 *   `chat-completions` (`/v1/chat/completions`).
 */
export const modelApis = [
  "messages",
  "text-completions",
  "predict",
  "raw-predict",
  "gemini",
  "completions",
  "chat-completions",
] as const
export type ModelApi = (typeof modelApis)[number]

const apisOf: Record<ProviderName, ReadonlyArray<ModelApi>> = {
  anthropic: ["messages", "text-completions"],
  "vertex-ai": ["predict", "raw-predict", "gemini"],
  "openai-compatible": ["completions", "chat-completions"],
}

/** Sampling parameters; an absent field means "the next default down" (request → entry → provider). */
export interface ModelParameters {
  readonly temperature?: number
  readonly maxTokens?: number
  readonly topP?: number
  readonly topK?: number
}

export interface ModelEntry {
  /** The name clients send and responses report (an alias when `upstream` differs). */
  readonly name: string
  readonly provider: ProviderName
  /** The model id sent upstream. */
  readonly upstream: string
  readonly api: ModelApi
  readonly useCases: ReadonlyArray<UseCase>
  /** Prompt budget in tokens, for truncation. */
  readonly contextTokens: number
  readonly parameters: ModelParameters
  readonly stopSequences?: ReadonlyArray<string>
  /** Overrides the per-call timeout (default 30 s). */
  readonly timeoutSeconds?: number
  /** openai-compatible: the server's base URL (required); anthropic: overrides the global one. */
  readonly baseUrl?: string
  /** openai-compatible: sent as `Authorization: Bearer`. */
  readonly apiKey?: Redacted.Redacted<string>
  /** vertex-ai raw-predict: the model's publisher (default `mistralai`). */
  readonly publisher?: string
  /**
   * anthropic messages: whether the model takes `temperature`/`top_p`/`top_k` (default true).
   * Current Claude models answer 400 to them, so their entries say false and none are sent.
   */
  readonly samplingParameters?: boolean
  /**
   * anthropic messages: whether the model continues a trailing assistant turn (default true).
   * Current Claude models answer 400 to a prefill; for them it becomes an instruction.
   */
  readonly prefill?: boolean
}

export type CatalogDefaults = Readonly<Record<ProviderName, Readonly<Partial<Record<UseCase, string>>>>>

export interface Catalog {
  readonly models: ReadonlyMap<string, ModelEntry>
  readonly defaults: CatalogDefaults
}

/** The catalog file cannot be read or is invalid; `line` is printed before exiting. */
export class CatalogError extends Data.TaggedError("CatalogError")<{
  readonly file: string
  readonly message: string
}> {
  get line(): string {
    return `invalid model catalog ${this.file}: ${this.message}`
  }
}

// --- schemas --------------------------------------------------------------------------------

const NonNegative = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))
const PositiveInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))

const ParametersSchema = Schema.Struct({
  temperature: Schema.optionalKey(NonNegative),
  maxTokens: Schema.optionalKey(PositiveInt),
  topP: Schema.optionalKey(NonNegative),
  topK: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
})

const entryFields = {
  provider: Schema.Literals(providerNames),
  upstream: Schema.NonEmptyString,
  api: Schema.Literals(modelApis),
  useCases: Schema.NonEmptyArray(Schema.Literals(useCases)),
  contextTokens: PositiveInt,
  parameters: ParametersSchema,
  stopSequences: Schema.Array(Schema.String),
  timeoutSeconds: Schema.Finite.check(Schema.isGreaterThan(0)),
  baseUrl: Schema.NonEmptyString,
  apiKey: Schema.String,
  publisher: Schema.NonEmptyString,
  samplingParameters: Schema.Boolean,
  prefill: Schema.Boolean,
}

/** An entry of the file: any subset of fields, merged over a built-in entry of the same name. */
const FileEntry = Schema.Struct(Struct.map(entryFields, Schema.optionalKey))

/**
 * A merged entry must have the fields every call needs, and an api and base URL its provider
 * can call.
 */
const CompleteEntry = Schema.Struct(
  Struct.mapOmit(
    entryFields,
    ["provider", "upstream", "api", "useCases", "contextTokens"],
    Schema.optionalKey,
  ),
).check(Schema.makeFilter((entry) => {
  if (!apisOf[entry.provider].includes(entry.api)) {
    return `api ${entry.api} is not one of ${entry.provider}'s (${apisOf[entry.provider].join(", ")})`
  }
  return entry.provider !== "openai-compatible" || entry.baseUrl !== undefined ||
    "an openai-compatible model needs a baseUrl"
}))

const DefaultsEntry = Schema.Struct({
  completion: Schema.optionalKey(Schema.NonEmptyString),
  generation: Schema.optionalKey(Schema.NonEmptyString),
  chat: Schema.optionalKey(Schema.NonEmptyString),
})

const CatalogFile = Schema.Struct({
  models: Schema.optionalKey(Schema.Record(Schema.String, FileEntry)),
  defaults: Schema.optionalKey(Schema.Struct({
    anthropic: Schema.optionalKey(DefaultsEntry),
    "vertex-ai": Schema.optionalKey(DefaultsEntry),
    "openai-compatible": Schema.optionalKey(DefaultsEntry),
  })),
})

// --- building -------------------------------------------------------------------------------

/** The built-in catalog. */
export const builtinCatalog: Catalog = {
  models: new Map(builtinModels.map((entry) => [entry.name, entry])),
  defaults: builtinDefaults,
}

/** A file entry merged over the built-in entry of the same name; the failure says why not. */
const mergeEntry = (
  name: string,
  base: ModelEntry | undefined,
  patch: typeof FileEntry.Type,
): Result.Result<ModelEntry, string> => {
  const { apiKey: baseKey, ...baseFields } = base ?? {}
  const merged = {
    ...baseFields,
    ...(baseKey === undefined ? {} : { apiKey: Redacted.value(baseKey) }),
    ...patch,
    parameters: { ...base?.parameters, ...patch.parameters },
  }
  return Schema.decodeUnknownResult(CompleteEntry)(merged).pipe(
    Result.mapError((error) => `model ${JSON.stringify(name)}: ${describeIssue(error.issue)}`),
    Result.map(({ apiKey, parameters, ...rest }): ModelEntry => ({
      ...rest,
      name,
      parameters: parameters ?? {},
      ...(apiKey === undefined ? {} : { apiKey: Redacted.make(apiKey) }),
    })),
  )
}

/** The first default that is not a model of its provider and use case, described. */
const badDefault = (
  models: ReadonlyMap<string, ModelEntry>,
  defaults: CatalogDefaults,
): string | undefined => {
  const isModelFor = (provider: ProviderName, useCase: UseCase, name: string) => {
    const entry = models.get(name)
    return entry !== undefined && entry.provider === provider && entry.useCases.includes(useCase)
  }
  const bad =
    providerNames.flatMap((provider) =>
      (Object.entries(defaults[provider]) as Array<[UseCase, string]>)
        .filter(([useCase, name]) => !isModelFor(provider, useCase, name))
        .map(([useCase, name]) => ({ provider, useCase, name }))
    )[0]
  return bad === undefined
    ? undefined
    : `default ${bad.useCase} model of ${bad.provider} is ${
      JSON.stringify(bad.name)
    }, which is not a ${bad.provider} ${bad.useCase} model`
}

/**
 * The built-in catalog with a parsed catalog file (any JSON/YAML value) applied over it.
 * Fails with a message naming the first bad model or default.
 */
export const makeCatalog = (file: unknown, fileName = "catalog"): Result.Result<Catalog, CatalogError> => {
  const invalid = (message: string) => new CatalogError({ file: fileName, message })
  return Result.gen(function* () {
    const parsed = yield* Result.mapError(
      Schema.decodeUnknownResult(CatalogFile)(file ?? {}),
      (error) => invalid(describeIssue(error.issue)),
    )
    const models = new Map(builtinCatalog.models)
    for (const [name, patch] of Object.entries(parsed.models ?? {})) {
      models.set(name, yield* Result.mapError(mergeEntry(name, models.get(name), patch), invalid))
    }
    const defaults = Object.fromEntries(providerNames.map((provider) => [provider, {
      ...builtinCatalog.defaults[provider],
      ...parsed.defaults?.[provider],
    }])) as unknown as CatalogDefaults
    const problem = badDefault(models, defaults)
    if (problem !== undefined) return yield* Result.fail(invalid(problem))
    return { models, defaults }
  })
}

/** A file's text as its YAML (or JSON) value; the parser's message says what is wrong. */
const YamlText = Schema.String.pipe(
  Schema.decodeTo(
    Schema.Unknown,
    SchemaTransformation.transformEffect({
      decode: (text) =>
        Effect.try({
          try: (): unknown => parseYaml(text),
          catch: (error) => new SchemaIssue.InvalidValue({ message: (error as Error).message }),
        }),
      encode: (value) => Effect.succeed(stringifyYaml(value)),
    }),
  ),
)

/** Parses the text of a catalog file: YAML, which also reads JSON. */
export const parseCatalogText = (text: string, fileName: string): Result.Result<Catalog, CatalogError> =>
  Schema.decodeUnknownResult(YamlText)(text).pipe(
    Result.mapError((error) => new CatalogError({ file: fileName, message: describeIssue(error.issue) })),
    Result.flatMap((parsed) => makeCatalog(parsed, fileName)),
  )

// --- the service ----------------------------------------------------------------------------

export interface ModelCatalogShape extends Catalog {
  /** The entry of a name, whatever its provider. */
  readonly get: (name: string) => ModelEntry | undefined
  /**
   * The entry to call for a provider and use case: the named model, or the use case's default
   * when `name` is undefined. Fails with `UnknownModel` naming the model when the name is not a
   * `useCase` model of `provider` (or no default is configured).
   */
  readonly resolve: (
    provider: ProviderName,
    useCase: UseCase,
    name?: string | undefined,
  ) => Effect.Effect<ModelEntry, UnknownModel>
}

const makeService = (catalog: Catalog): ModelCatalogShape => ({
  ...catalog,
  get: (name) => catalog.models.get(name),
  resolve: (provider, useCase, name) => {
    const wanted = name ?? catalog.defaults[provider][useCase]
    const entry = wanted === undefined ? undefined : catalog.models.get(wanted)
    return entry !== undefined && entry.provider === provider && entry.useCases.includes(useCase)
      ? Effect.succeed(entry)
      : Effect.fail(
        new UnknownModel({ provider, useCase, ...(wanted === undefined ? {} : { model: wanted }) }),
      )
  },
})

export class ModelCatalog
  extends Context.Service<ModelCatalog, ModelCatalogShape>()("aigw/models/ModelCatalog") {
  /** The built-ins plus `AIGW_MODELS__CATALOG_FILE` when set, read once at start. */
  static readonly layer = Layer.effect(
    ModelCatalog,
    Effect.gen(function* () {
      const config = yield* AppConfig
      const file = config.models.catalogFile
      if (file === undefined) return ModelCatalog.of(makeService(builtinCatalog))
      const fs = yield* FileSystem.FileSystem
      const text = yield* fs.readFileString(file).pipe(
        Effect.mapError((error) => new CatalogError({ file, message: error.message })),
      )
      return ModelCatalog.of(makeService(yield* Effect.fromResult(parseCatalogText(text, file))))
    }),
  )

  /** A catalog from an in-memory file value (or the built-ins), for tests. */
  static readonly layerFrom = (file?: unknown) =>
    Layer.effect(
      ModelCatalog,
      Effect.map(Effect.fromResult(makeCatalog(file)), (c) => ModelCatalog.of(makeService(c))),
    )
}

/**
 * For the entrypoints, before serving: the one line to print when the configured catalog file
 * cannot be used (unreadable or invalid), else `undefined`. `readText` is the runtime's reader.
 */
export const catalogFileProblem = (
  file: string | undefined,
  readText: (path: string) => string,
): string | undefined => {
  if (file === undefined) return undefined
  const catalog = Result.flatMap(readWith(readText, file), (text) => parseCatalogText(text, file))
  return Result.isFailure(catalog) ? catalog.failure.line : undefined
}

/** The runtime's reader throws when the file cannot be read; its message says why. */
const readWith = (readText: (path: string) => string, file: string): Result.Result<string, CatalogError> => {
  try {
    return Result.succeed(readText(file))
  } catch (error) {
    return Result.fail(new CatalogError({ file, message: (error as Error).message }))
  }
}
