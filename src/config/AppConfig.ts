/**
 * AppConfig: every `AIGW_*` setting of SPEC §6, read once at start from an environment record
 * (the real environment merged over `.env`, see dotenv.ts), validated, and typed.
 *
 * Names are matched case-insensitively, as the original's pydantic settings did; nested settings
 * use `__`. A bad value fails with a `ConfigError` naming the variable, which the entrypoints
 * print as one line before exiting with code 1.
 */
import {
  Context,
  Data,
  Effect,
  Layer,
  Redacted,
  Result,
  Schema,
  SchemaIssue,
  SchemaTransformation,
} from "effect"
import { IpInterface, IpNetwork } from "effect/net"
import { LaxBoolean, LaxInt } from "../schema/Lax.ts"

export type LogLevelName = "debug" | "info" | "warning" | "error"

export interface AppConfigShape {
  readonly gitlabUrl: string
  readonly gitlabApiUrl: string
  readonly customerPortalUrl: string
  readonly mockModelResponses: boolean
  readonly auth: { readonly bypassExternal: boolean }
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
    readonly trustedProxies: ReadonlyArray<IpNetwork.IpNetwork>
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
    Layer.succeed(AppConfig, AppConfig.of(parseAppConfigUnsafe(env)))
}

// --- value schemas: each decodes the variable's text --------------------------------------------

const Text = Schema.String
const NonEmptyText = Schema.String.check(Schema.isNonEmpty({ expected: "a non-empty value" }))

const Port = LaxInt.check(
  Schema.isBetween({ minimum: 0, maximum: 65535 }, { expected: "a port number (0-65535)" }),
)
const PositiveInt = LaxInt.check(Schema.isGreaterThanOrEqualTo(1, { expected: "a positive integer" }))

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

const parseJsonText = (variable: string, text: string): Result.Result<unknown, ConfigError> => {
  try {
    return Result.succeed(JSON.parse(text))
  } catch (error) {
    return Result.fail(new ConfigError({ variable, message: `invalid JSON (${(error as Error).message})` }))
  }
}

const ConcurrencyLimits = Schema.Record(Schema.String, Schema.Record(Schema.String, PositiveInt))
const PostProcessingOps = Schema.Array(Schema.String)
const VariantWeights = Schema.Tuple([Schema.Int, Schema.Int]).check(
  Schema.makeFilter(([control, variant]) => control >= 0 && variant >= 0 && control + variant > 0, {
    expected: "two non-negative integer weights, not both zero",
  }),
)

// --- the variable table -------------------------------------------------------------------------

interface Lookup {
  /** The first name present wins; the first name is the one reported in errors. */
  readonly names: ReadonlyArray<string>
  readonly fallback?: string
}

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
  const decode = <S extends Schema.Decoder<unknown>>(schema: S, value: unknown, name: string): S["Type"] => {
    const result = Schema.decodeUnknownResult(schema)(value)
    if (Result.isFailure(result)) {
      const got = typeof value === "string" ? ` (got ${JSON.stringify(value.slice(0, 80))})` : ""
      throw new ConfigError({ variable: name, message: `${describeIssue(result.failure.issue)}${got}` })
    }
    return result.success
  }
  return {
    /** A required-with-default value. */
    value<S extends Schema.Decoder<unknown>>(
      schema: S,
      lookup: Lookup & { readonly fallback: string },
    ): S["Type"] {
      const { name, value } = raw(lookup)
      return decode(schema, value, name)
    },
    /** An optional value: unset or empty means absent. */
    optional<S extends Schema.Decoder<unknown>>(schema: S, lookup: Lookup): S["Type"] | undefined {
      const { name, value } = raw(lookup)
      if (value === undefined || value.trim() === "") return undefined
      return decode(schema, value, name)
    },
    /** A JSON value validated by `schema`. */
    json<S extends Schema.Decoder<unknown>>(
      schema: S,
      lookup: Lookup & { readonly fallback: string },
    ): S["Type"] {
      const { name, value } = raw(lookup)
      const parsed = parseJsonText(name, value ?? lookup.fallback)
      if (Result.isFailure(parsed)) throw parsed.failure
      return decode(schema, parsed.success, name)
    },
    /** Comma-separated absolute http(s) URLs; unset or empty means absent. */
    urls(lookup: Lookup): ReadonlyArray<URL> | undefined {
      const { name, value } = raw(lookup)
      const entries = (value ?? "").split(",").map((entry) => entry.trim()).filter((entry) => entry !== "")
      if (entries.length === 0) return undefined
      return entries.map((entry) => {
        const url = URL.parse(entry)
        if (url === null || (url.protocol !== "http:" && url.protocol !== "https:")) {
          throw new ConfigError({
            variable: name,
            message: `expected a list of http(s) URLs, got "${entry}"`,
          })
        }
        return url
      })
    },
    networks(lookup: Lookup & { readonly fallback: string }): ReadonlyArray<IpNetwork.IpNetwork> {
      const { name, value } = raw(lookup)
      const entries = (value ?? "").split(",").map((entry) => entry.trim()).filter((entry) => entry !== "")
      return entries.map((entry) => {
        // Lenient like the original's `ip_network(strict=False)`: `127.0.0.1/8` means 127.0.0.0/8.
        const cidr = entry.includes("/") ? entry : `${entry}/${entry.includes(":") ? 128 : 32}`
        const network = Result.flatMap(
          IpInterface.fromString(cidr, { prefix: "required" }),
          (value) => IpNetwork.fromAddress(value.address, value.prefixLength),
        )
        if (Result.isFailure(network)) {
          throw new ConfigError({ variable: name, message: `expected a list of CIDRs, got "${entry}"` })
        }
        return network.success
      })
    },
  }
}

const standardFormatter = SchemaIssue.makeFormatterStandardSchemaV1()

const describeIssue = (issue: SchemaIssue.Issue): string =>
  standardFormatter(issue).issues
    .map((entry) =>
      entry.path !== undefined && entry.path.length > 0
        ? `${entry.message} at ${entry.path.join(".")}`
        : entry.message
    )
    .join("; ")

const parseAppConfigUnsafe = (env: Readonly<Record<string, string | undefined>>): AppConfigShape => {
  const read = makeReader(env)
  return {
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
    auth: {
      bypassExternal: read.value(LaxBoolean, { names: ["AIGW_AUTH__BYPASS_EXTERNAL"], fallback: "false" }),
    },
    logging: {
      level: read.value(LogLevel, { names: ["AIGW_LOGGING__LEVEL"], fallback: "INFO" }) as LogLevelName,
      formatJson: read.value(LaxBoolean, { names: ["AIGW_LOGGING__FORMAT_JSON"], fallback: "true" }),
      toFile: read.optional(NonEmptyText, { names: ["AIGW_LOGGING__TO_FILE"] }),
    },
    fastapi: {
      apiHost: read.value(NonEmptyText, { names: ["AIGW_FASTAPI__API_HOST"], fallback: "0.0.0.0" }),
      apiPort: read.value(Port, { names: ["AIGW_FASTAPI__API_PORT"], fallback: "5052" }),
      metricsHost: read.value(NonEmptyText, { names: ["AIGW_FASTAPI__METRICS_HOST"], fallback: "0.0.0.0" }),
      metricsPort: read.value(Port, { names: ["AIGW_FASTAPI__METRICS_PORT"], fallback: "8082" }),
      docsUrl: read.optional(UrlPath, { names: ["AIGW_FASTAPI__DOCS_URL"] }),
      openapiUrl: read.optional(UrlPath, { names: ["AIGW_FASTAPI__OPENAPI_URL"] }),
      redocUrl: read.optional(UrlPath, { names: ["AIGW_FASTAPI__REDOC_URL"] }),
      reload: read.value(LaxBoolean, { names: ["AIGW_FASTAPI__RELOAD"], fallback: "false" }),
    },
    featureFlags: {
      excludedPostProcessing: read.json(PostProcessingOps, {
        names: ["AIGW_F__CODE_SUGGESTIONS__EXCL_POST_PROC", "AIGW_F__EXCL_POST_PROC"],
        fallback: "[]",
      }),
    },
    experiments: {
      truncateSuffixWeights: read.json(VariantWeights, {
        names: ["AIGW_EXPERIMENTS__TRUNCATE_SUFFIX_WEIGHTS"],
        fallback: "[100, 0]",
      }),
    },
    snowplow: {
      enabled: read.value(LaxBoolean, { names: ["AIGW_SNOWPLOW__ENABLED"], fallback: "false" }),
      endpoint: read.optional(NonEmptyText, { names: ["AIGW_SNOWPLOW__ENDPOINT"] }),
      batchSize: read.value(PositiveInt, { names: ["AIGW_SNOWPLOW__BATCH_SIZE"], fallback: "10" }),
      threadCount: read.value(PositiveInt, { names: ["AIGW_SNOWPLOW__THREAD_COUNT"], fallback: "1" }),
    },
    instrumentator: {
      threadMonitoringEnabled: read.value(LaxBoolean, {
        names: ["AIGW_INSTRUMENTATOR__THREAD_MONITORING_ENABLED"],
        fallback: "false",
      }),
      threadMonitoringIntervalSeconds: read.value(PositiveInt, {
        names: ["AIGW_INSTRUMENTATOR__THREAD_MONITORING_INTERVAL"],
        fallback: "60",
      }),
    },
    anthropic: {
      apiKey: optionalSecret(read.optional(Text, { names: ["ANTHROPIC_API_KEY"] })),
      baseUrl: read.optional(NonEmptyText, { names: ["AIGW_ANTHROPIC__BASE_URL"] }),
    },
    vertexTextModel: {
      project: read.optional(NonEmptyText, { names: ["AIGW_VERTEX_TEXT_MODEL__PROJECT"] }),
      location: read.value(NonEmptyText, {
        names: ["AIGW_VERTEX_TEXT_MODEL__LOCATION"],
        fallback: "us-central1",
      }),
      endpoint: read.value(NonEmptyText, {
        names: ["AIGW_VERTEX_TEXT_MODEL__ENDPOINT"],
        fallback: "us-central1-aiplatform.googleapis.com",
      }),
      accessToken: optionalSecret(read.optional(Text, { names: ["AIGW_VERTEX_TEXT_MODEL__ACCESS_TOKEN"] })),
    },
    modelEngineConcurrencyLimits: read.json(ConcurrencyLimits, {
      names: ["AIGW_MODEL_ENGINE_CONCURRENCY_LIMITS"],
      fallback: "{}",
    }),
    models: {
      catalogFile: read.optional(NonEmptyText, { names: ["AIGW_MODELS__CATALOG_FILE"] }),
    },
    customModels: {
      enabled: read.value(LaxBoolean, { names: ["AIGW_CUSTOM_MODELS__ENABLED"], fallback: "false" }),
      allowedEndpoints: read.urls({ names: ["AIGW_CUSTOM_MODELS__ALLOWED_ENDPOINTS"] }),
    },
    http: {
      maxBodyBytes: read.value(PositiveInt, { names: ["AIGW_HTTP__MAX_BODY_BYTES"], fallback: "8388608" }),
      trustedProxies: read.networks({
        names: ["AIGW_HTTP__TRUSTED_PROXIES"],
        fallback: "127.0.0.1/8,::1/128",
      }),
    },
  }
}

const optionalSecret = (value: string | undefined) => value === undefined ? undefined : Redacted.make(value)

/** Parses a whole configuration; the failure names the first bad variable. */
export const parseAppConfig = (
  env: Readonly<Record<string, string | undefined>>,
): Result.Result<AppConfigShape, ConfigError> => {
  try {
    return Result.succeed(parseAppConfigUnsafe(env))
  } catch (error) {
    if (error instanceof ConfigError) return Result.fail(error)
    throw error
  }
}
