/**
 * AppConfig: every `AIGW_*` setting of SPEC §6, read once at start from an environment record
 * (the real environment merged over `.env`, see dotenv.ts), validated, and typed.
 *
 * Names are matched case-insensitively, as the original's pydantic settings did; nested settings
 * use `__`. A bad value fails with a `ConfigError` naming the variable, which the entrypoints
 * print as one line before exiting with code 1.
 *
 * Every variable is one entry of the table in `readConfig`, decoded by a Schema into a `Result`;
 * the first failing entry in table order is the one reported. To add a variable:
 * 1. add its field to `AppConfigShape`;
 * 2. add one entry at the same place in `readConfig`:
 *    `read.value(Schema, { names: [NAME], fallback: TEXT })` when it has a default,
 *    `read.optional(Schema, { names: [NAME] })` when unset (or empty) means absent,
 *    `read.json(Schema, { names: [NAME], fallback: JSON })` for a JSON value,
 *    with `Result.map` around it to convert (see `optionalSecret`); `names` lists aliases after
 *    the main name, which errors report;
 * 3. document it in example.env (a test checks every name read here is listed there).
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as SchemaIssue from "effect/SchemaIssue"
import * as SchemaTransformation from "effect/SchemaTransformation"
import * as IpInterface from "effect/net/IpInterface"
import * as IpNetwork from "effect/net/IpNetwork"
import { keyProblem } from "../auth/signingKeys.ts"
import { describeIssue } from "../schema/describeIssue.ts"
import { LaxBoolean, LaxInt } from "../schema/Lax.ts"

export type LogLevelName = "debug" | "info" | "warning" | "error"

export interface AppConfigShape {
  readonly gitlabUrl: string
  readonly gitlabApiUrl: string
  readonly customerPortalUrl: string
  readonly mockModelResponses: boolean
  readonly auth: {
    readonly bypassExternal: boolean
    /** Test support: a request with `Bypass-Auth: true` is the debug user. */
    readonly bypassExternalWithHeader: boolean
  }
  /** Direct access: the keys of the tokens aigw issues itself (PEM). */
  readonly selfSignedJwt: {
    readonly signingKey: Redacted.Redacted<string> | undefined
    /** The previous signing key (or its public key), still accepted during a rotation. */
    readonly validationKey: Redacted.Redacted<string> | undefined
  }
  readonly logging: {
    readonly level: LogLevelName
    readonly formatJson: boolean
    readonly toFile: string | undefined
  }
  readonly fastapi: {
    readonly apiHost: string
    readonly apiPort: number
    readonly metricsHost: string
    readonly metricsPort: number
    readonly docsUrl: `/${string}` | undefined
    readonly openapiUrl: `/${string}` | undefined
    readonly redocUrl: `/${string}` | undefined
    readonly reload: boolean
  }
  readonly featureFlags: { readonly excludedPostProcessing: ReadonlyArray<string> }
  readonly experiments: {
    /** Relative weights of the `exp_truncate_suffix` variants: [control, block-truncated suffix]. */
    readonly truncateSuffixWeights: readonly [number, number]
  }
  readonly snowplow: {
    readonly enabled: boolean
    readonly endpoint: string | undefined
    readonly batchSize: number
    readonly threadCount: number
  }
  readonly instrumentator: {
    readonly threadMonitoringEnabled: boolean
    readonly threadMonitoringIntervalSeconds: number
  }
  readonly anthropic: {
    readonly apiKey: Redacted.Redacted<string> | undefined
    readonly baseUrl: string | undefined
  }
  readonly vertexTextModel: {
    readonly project: string | undefined
    readonly location: string
    readonly endpoint: string
    readonly accessToken: Redacted.Redacted<string> | undefined
  }
  /** `{"engine": {"model": N}}`: in-flight cap per model. */
  readonly modelEngineConcurrencyLimits: Readonly<Record<string, Readonly<Record<string, number>>>>
  readonly models: { readonly catalogFile: string | undefined }
  /** Self-hosted models named by the request (`model_provider: "litellm"`). */
  readonly customModels: {
    readonly enabled: boolean
    /** URL prefixes a request-named endpoint must be under; `undefined` means any. */
    readonly allowedEndpoints: ReadonlyArray<URL> | undefined
  }
  readonly http: {
    readonly maxBodyBytes: number
    /** The whole request (headers and body) must arrive within this, else 408 (Node). */
    readonly bodyTimeoutSeconds: number
    readonly headersTimeoutSeconds: number
    /** Open sockets on the API listener; more are refused (Node). */
    readonly maxConnections: number
    readonly trustedProxies: ReadonlyArray<IpNetwork.IpNetwork>
  }
  /** API processes on Node (`node:cluster`); `auto` is one per CPU. 1: no cluster. */
  readonly workers: number | "auto"
  readonly rateLimit: {
    readonly enabled: boolean
    readonly requestsPerMinute: number
    /** The bucket size; unset means each family's per-minute figure. */
    readonly burst: number | undefined
    /** `{"family": rpm}`: the per-minute figure of a family other than the default. */
    readonly overrides: Readonly<Partial<Record<"code" | "chat" | "x-ray", number>>>
    /** Shared buckets in Redis; the URL may carry a password. */
    readonly redisUrl: Redacted.Redacted<string> | undefined
  }
}

/** A variable whose value cannot be used; `message` says what was expected. */
export class ConfigError extends Data.TaggedError("ConfigError")<{
  readonly variable: string
  readonly message: string
}> {
  /** The one line printed before the process exits. */
  get line(): string {
    return `invalid configuration: ${this.variable}: ${this.message}`
  }
}

export class AppConfig extends Context.Service<AppConfig, AppConfigShape>()("aigw/config/AppConfig") {
  /** Reads the configuration from an environment record; fails with the first bad variable. */
  static readonly layerFrom = (env: Readonly<Record<string, string | undefined>>) =>
    Layer.effect(AppConfig, Effect.fromResult(parseAppConfig(env)))

  /** A configuration built from explicit values over the defaults, for tests. */
  static readonly layerTest = (env: Readonly<Record<string, string>> = {}) =>
    Layer.succeed(AppConfig, AppConfig.of(Result.getOrThrowWith(parseAppConfig(env), (error) => error)))
}

// --- value schemas: each decodes the variable's text --------------------------------------------

const Text = Schema.String
const NonEmptyText = Schema.String.check(Schema.isNonEmpty({ expected: "a non-empty value" }))

const Port = LaxInt.check(
  Schema.isBetween({ minimum: 0, maximum: 65535 }, { expected: "a port number (0-65535)" }),
)
const PositiveInt = LaxInt.check(Schema.isGreaterThanOrEqualTo(1, { expected: "a positive integer" }))

const WorkerCount = Schema.Union([Schema.Literal("auto"), PositiveInt]).annotate({
  expected: "a positive integer or auto",
})

const UrlPath = Schema.String.check(
  Schema.isPattern(/^\/\S*$/, { expected: "a URL path starting with /" }),
).pipe(Schema.refine((path): path is `/${string}` => path.startsWith("/")))

const LogLevel = Schema.String.pipe(
  Schema.decodeTo(
    Schema.Literals(["debug", "info", "warning", "error"]).annotate({
      expected: "one of debug, info, warning, error",
    }),
    SchemaTransformation.transform<LogLevelName, string>({
      decode: (text) => {
        const level = text.trim().toLowerCase()
        if (level === "warn") return "warning"
        if (level === "critical" || level === "fatal") return "error"
        return level as LogLevelName
      },
      encode: (level) => level,
    }),
  ),
)

/** JSON text as its value; the parser's own message says what is wrong with the text. */
const JsonText = Schema.String.pipe(
  Schema.decodeTo(
    Schema.Unknown,
    SchemaTransformation.transformEffect({
      decode: (text) =>
        Effect.try({
          try: (): unknown => JSON.parse(text),
          catch: (error) =>
            new SchemaIssue.InvalidValue({ message: `invalid JSON (${(error as Error).message})` }),
        }),
      encode: (value) => Effect.succeed(JSON.stringify(value)),
    }),
  ),
)

const ConcurrencyLimits = Schema.Record(Schema.String, Schema.Record(Schema.String, PositiveInt))
const rateLimitFamilies: ReadonlyArray<string> = ["code", "chat", "x-ray"]
const RateLimitOverrides = Schema.Record(Schema.String, PositiveInt).check(
  Schema.makeFilter(
    (overrides) => Object.keys(overrides).every((family) => rateLimitFamilies.includes(family)),
    {
      expected: "an object whose keys are route families: code, chat, x-ray",
    },
  ),
)
const PostProcessingOps = Schema.Array(Schema.String)
const VariantWeights = Schema.Tuple([Schema.Int, Schema.Int]).check(
  Schema.makeFilter(([control, variant]) => control >= 0 && variant >= 0 && control + variant > 0, {
    expected: "two non-negative integer weights, not both zero",
  }),
)

// --- reading variables --------------------------------------------------------------------------

interface Lookup {
  /** The first name present wins; the first name is the one reported in errors. */
  readonly names: ReadonlyArray<string>
  readonly fallback?: string
}

type Read<A> = Result.Result<A, ConfigError>

/** Decodes one variable's value; a failure quotes the start of a text value. */
const decode = <S extends Schema.Decoder<unknown>>(
  schema: S,
  value: unknown,
  name: string,
): Read<S["Type"]> =>
  Result.mapError(Schema.decodeUnknownResult(schema)(value), (error) => {
    const got = typeof value === "string" ? ` (got ${JSON.stringify(value.slice(0, 80))})` : ""
    return new ConfigError({ variable: name, message: `${describeIssue(error.issue)}${got}` })
  })

/** Reads variables case-insensitively, trimming nothing: an empty string is a value. */
const makeReader = (env: Readonly<Record<string, string | undefined>>) => {
  const upper = new Map<string, string>()
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined) upper.set(key.toUpperCase(), value)
  }
  const raw = (lookup: Lookup): { readonly name: string; readonly value: string | undefined } => {
    for (const name of lookup.names) {
      const value = upper.get(name)
      if (value !== undefined) return { name, value }
    }
    return { name: lookup.names[0]!, value: lookup.fallback }
  }
  return {
    /** A required-with-default value. */
    value<S extends Schema.Decoder<unknown>>(
      schema: S,
      lookup: Lookup & { readonly fallback: string },
    ): Read<S["Type"]> {
      const { name, value } = raw(lookup)
      return decode(schema, value, name)
    },
    /** An optional value: unset or empty means absent. */
    optional<S extends Schema.Decoder<unknown>>(schema: S, lookup: Lookup): Read<S["Type"] | undefined> {
      const { name, value } = raw(lookup)
      if (value === undefined || value.trim() === "") return Result.succeed(undefined)
      return decode(schema, value, name)
    },
    /** A JSON value validated by `schema`. */
    json<S extends Schema.Decoder<unknown>>(
      schema: S,
      lookup: Lookup & { readonly fallback: string },
    ): Read<S["Type"]> {
      const { name, value } = raw(lookup)
      const parsed = Result.mapError(
        Schema.decodeUnknownResult(JsonText)(value ?? lookup.fallback),
        (error) => new ConfigError({ variable: name, message: describeIssue(error.issue) }),
      )
      return Result.flatMap(parsed, (json) => decode(schema, json, name))
    },
    /** Comma-separated absolute http(s) URLs; unset or empty means absent. */
    urls(lookup: Lookup): Read<ReadonlyArray<URL> | undefined> {
      const { name, value } = raw(lookup)
      const entries = (value ?? "").split(",").map((entry) => entry.trim()).filter((entry) => entry !== "")
      if (entries.length === 0) return Result.succeed(undefined)
      return Result.all(entries.map((entry) => {
        const url = URL.parse(entry)
        return url !== null && (url.protocol === "http:" || url.protocol === "https:")
          ? Result.succeed(url)
          : Result.fail(
            new ConfigError({ variable: name, message: `expected a list of http(s) URLs, got "${entry}"` }),
          )
      }))
    },
    networks(lookup: Lookup & { readonly fallback: string }): Read<ReadonlyArray<IpNetwork.IpNetwork>> {
      const { name, value } = raw(lookup)
      const entries = (value ?? "").split(",").map((entry) => entry.trim()).filter((entry) => entry !== "")
      return Result.all(entries.map((entry) => {
        // Lenient like the original's `ip_network(strict=False)`: `127.0.0.1/8` means 127.0.0.0/8.
        const cidr = entry.includes("/") ? entry : `${entry}/${entry.includes(":") ? 128 : 32}`
        return Result.flatMap(
          IpInterface.fromString(cidr, { prefix: "required" }),
          (value) => IpNetwork.fromAddress(value.address, value.prefixLength),
        ).pipe(
          Result.mapError(() =>
            new ConfigError({ variable: name, message: `expected a list of CIDRs, got "${entry}"` })
          ),
        )
      }))
    },
  }
}

type Reader = ReturnType<typeof makeReader>

const optionalSecret = (value: string | undefined) => value === undefined ? undefined : Redacted.make(value)

// --- the variable table -------------------------------------------------------------------------

const readConfig = (read: Reader): Read<AppConfigShape> =>
  Result.all({
    gitlabUrl: read.value(Text, { names: ["AIGW_GITLAB_URL"], fallback: "https://gitlab.com" }),
    gitlabApiUrl: read.value(Text, {
      names: ["AIGW_GITLAB_API_URL"],
      fallback: "https://gitlab.com/api/v4/",
    }),
    customerPortalUrl: read.value(Text, {
      names: ["AIGW_CUSTOMER_PORTAL_URL"],
      fallback: "https://customers.gitlab.com",
    }),
    mockModelResponses: read.value(LaxBoolean, {
      names: ["AIGW_MOCK_MODEL_RESPONSES", "AIGW_USE_FAKE_MODELS"],
      fallback: "false",
    }),
    auth: Result.all({
      bypassExternal: read.value(LaxBoolean, { names: ["AIGW_AUTH__BYPASS_EXTERNAL"], fallback: "false" }),
      bypassExternalWithHeader: read.value(LaxBoolean, {
        names: ["AIGW_AUTH__BYPASS_EXTERNAL_WITH_HEADER"],
        fallback: "false",
      }),
    }),
    selfSignedJwt: Result.all({
      signingKey: rsaKeySecret(
        "AIGW_SELF_SIGNED_JWT__SIGNING_KEY",
        read.optional(Text, { names: ["AIGW_SELF_SIGNED_JWT__SIGNING_KEY"] }),
        "signing",
      ),
      validationKey: rsaKeySecret(
        "AIGW_SELF_SIGNED_JWT__VALIDATION_KEY",
        read.optional(Text, { names: ["AIGW_SELF_SIGNED_JWT__VALIDATION_KEY"] }),
        "validation",
      ),
    }),
    logging: Result.all({
      level: read.value(LogLevel, { names: ["AIGW_LOGGING__LEVEL"], fallback: "INFO" }),
      formatJson: read.value(LaxBoolean, { names: ["AIGW_LOGGING__FORMAT_JSON"], fallback: "true" }),
      toFile: read.optional(NonEmptyText, { names: ["AIGW_LOGGING__TO_FILE"] }),
    }),
    fastapi: Result.all({
      apiHost: read.value(NonEmptyText, { names: ["AIGW_FASTAPI__API_HOST"], fallback: "0.0.0.0" }),
      apiPort: read.value(Port, { names: ["AIGW_FASTAPI__API_PORT"], fallback: "5052" }),
      metricsHost: read.value(NonEmptyText, { names: ["AIGW_FASTAPI__METRICS_HOST"], fallback: "0.0.0.0" }),
      metricsPort: read.value(Port, { names: ["AIGW_FASTAPI__METRICS_PORT"], fallback: "8082" }),
      docsUrl: read.optional(UrlPath, { names: ["AIGW_FASTAPI__DOCS_URL"] }),
      openapiUrl: read.optional(UrlPath, { names: ["AIGW_FASTAPI__OPENAPI_URL"] }),
      redocUrl: read.optional(UrlPath, { names: ["AIGW_FASTAPI__REDOC_URL"] }),
      reload: read.value(LaxBoolean, { names: ["AIGW_FASTAPI__RELOAD"], fallback: "false" }),
    }),
    featureFlags: Result.all({
      excludedPostProcessing: read.json(PostProcessingOps, {
        names: ["AIGW_F__CODE_SUGGESTIONS__EXCL_POST_PROC", "AIGW_F__EXCL_POST_PROC"],
        fallback: "[]",
      }),
    }),
    experiments: Result.all({
      truncateSuffixWeights: read.json(VariantWeights, {
        names: ["AIGW_EXPERIMENTS__TRUNCATE_SUFFIX_WEIGHTS"],
        fallback: "[100, 0]",
      }),
    }),
    snowplow: Result.all({
      enabled: read.value(LaxBoolean, { names: ["AIGW_SNOWPLOW__ENABLED"], fallback: "false" }),
      endpoint: read.optional(NonEmptyText, { names: ["AIGW_SNOWPLOW__ENDPOINT"] }),
      batchSize: read.value(PositiveInt, { names: ["AIGW_SNOWPLOW__BATCH_SIZE"], fallback: "10" }),
      threadCount: read.value(PositiveInt, { names: ["AIGW_SNOWPLOW__THREAD_COUNT"], fallback: "1" }),
    }),
    instrumentator: Result.all({
      threadMonitoringEnabled: read.value(LaxBoolean, {
        names: ["AIGW_INSTRUMENTATOR__THREAD_MONITORING_ENABLED"],
        fallback: "false",
      }),
      threadMonitoringIntervalSeconds: read.value(PositiveInt, {
        names: ["AIGW_INSTRUMENTATOR__THREAD_MONITORING_INTERVAL"],
        fallback: "60",
      }),
    }),
    anthropic: Result.all({
      apiKey: Result.map(read.optional(Text, { names: ["ANTHROPIC_API_KEY"] }), optionalSecret),
      baseUrl: read.optional(NonEmptyText, { names: ["AIGW_ANTHROPIC__BASE_URL"] }),
    }),
    vertexTextModel: Result.all({
      project: read.optional(NonEmptyText, { names: ["AIGW_VERTEX_TEXT_MODEL__PROJECT"] }),
      location: read.value(NonEmptyText, {
        names: ["AIGW_VERTEX_TEXT_MODEL__LOCATION"],
        fallback: "us-central1",
      }),
      endpoint: read.value(NonEmptyText, {
        names: ["AIGW_VERTEX_TEXT_MODEL__ENDPOINT"],
        fallback: "us-central1-aiplatform.googleapis.com",
      }),
      accessToken: Result.map(
        read.optional(Text, { names: ["AIGW_VERTEX_TEXT_MODEL__ACCESS_TOKEN"] }),
        optionalSecret,
      ),
    }),
    modelEngineConcurrencyLimits: read.json(ConcurrencyLimits, {
      names: ["AIGW_MODEL_ENGINE_CONCURRENCY_LIMITS"],
      fallback: "{}",
    }),
    models: Result.all({
      catalogFile: read.optional(NonEmptyText, { names: ["AIGW_MODELS__CATALOG_FILE"] }),
    }),
    customModels: Result.all({
      enabled: read.value(LaxBoolean, { names: ["AIGW_CUSTOM_MODELS__ENABLED"], fallback: "false" }),
      allowedEndpoints: read.urls({ names: ["AIGW_CUSTOM_MODELS__ALLOWED_ENDPOINTS"] }),
    }),
    http: Result.all({
      maxBodyBytes: read.value(PositiveInt, { names: ["AIGW_HTTP__MAX_BODY_BYTES"], fallback: "8388608" }),
      bodyTimeoutSeconds: read.value(PositiveInt, {
        names: ["AIGW_HTTP__BODY_TIMEOUT_SECONDS"],
        fallback: "30",
      }),
      headersTimeoutSeconds: read.value(PositiveInt, {
        names: ["AIGW_HTTP__HEADERS_TIMEOUT_SECONDS"],
        fallback: "10",
      }),
      maxConnections: read.value(PositiveInt, { names: ["AIGW_HTTP__MAX_CONNECTIONS"], fallback: "4096" }),
      trustedProxies: read.networks({
        names: ["AIGW_HTTP__TRUSTED_PROXIES"],
        fallback: "127.0.0.1/8,::1/128",
      }),
    }),
    workers: read.value(WorkerCount, { names: ["AIGW_WORKERS", "WEB_CONCURRENCY"], fallback: "1" }),
    rateLimit: Result.all({
      enabled: read.value(LaxBoolean, { names: ["AIGW_RATE_LIMIT__ENABLED"], fallback: "false" }),
      requestsPerMinute: read.value(PositiveInt, {
        names: ["AIGW_RATE_LIMIT__REQUESTS_PER_MINUTE"],
        fallback: "60",
      }),
      burst: read.optional(PositiveInt, { names: ["AIGW_RATE_LIMIT__BURST"] }),
      overrides: read.json(RateLimitOverrides, { names: ["AIGW_RATE_LIMIT__OVERRIDES"], fallback: "{}" }),
      redisUrl: Result.map(
        read.optional(NonEmptyText, { names: ["AIGW_RATE_LIMIT__REDIS_URL"] }),
        optionalSecret,
      ),
    }),
  })

/** A PEM key, checked now so a bad one stops the start; the error never quotes the key. */
const rsaKeySecret = (
  variable: string,
  value: Result.Result<string | undefined, ConfigError>,
  role: "signing" | "validation",
): Result.Result<Redacted.Redacted<string> | undefined, ConfigError> =>
  Result.flatMap(value, (text) => {
    if (text === undefined) return Result.succeed(undefined)
    const problem = keyProblem(text, role)
    return problem === undefined
      ? Result.succeed(Redacted.make(text))
      : Result.fail(new ConfigError({ variable, message: problem }))
  })

/** Parses a whole configuration; the failure names the first bad variable in table order. */
export const parseAppConfig = (
  env: Readonly<Record<string, string | undefined>>,
): Result.Result<AppConfigShape, ConfigError> => readConfig(makeReader(env))
