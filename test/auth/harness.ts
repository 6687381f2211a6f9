/**
 * Shared set-up of the auth tests: log capture, the Jwks/Authenticator stack against fake
 * providers, and the contract app (a test-only API group behind the real middleware and
 * request pipeline, served through `HttpRouter.toWebHandler`).
 */
import { NodeFileSystem } from "@effect/platform-node"
import { Effect, Layer, Logger, References, Schema } from "effect"
import { FetchHttpClient, HttpRouter, HttpServer } from "effect/http"
import { HttpApi, HttpApiBuilder, HttpApiEndpoint, HttpApiGroup } from "effect/http-api"
import { makeRuntimeLayer } from "../../src/app.ts"
import { AppConfig } from "../../src/config/AppConfig.ts"
import { Authentication } from "../../src/auth/Authentication.ts"
import { Authenticator, type AuthenticatorOptions } from "../../src/auth/Authenticator.ts"
import { Identity } from "../../src/auth/Identity.ts"
import { Jwks, type JwksOptions } from "../../src/auth/Jwks.ts"
import * as AuthMiddleware from "../../src/auth/middleware.ts"
import { RequiredScopes } from "../../src/auth/scopes.ts"
import { TokenAuthority, type TokenAuthorityKeys } from "../../src/auth/TokenAuthority.ts"
import { requestPipeline } from "../../src/http/middleware/pipeline.ts"
import { Readiness } from "../../src/monitoring/Readiness.ts"
import { LogSink, makeLineLogger } from "../../src/observability/Logger.ts"

export type LogRecord = Record<string, unknown>

/** Collects every log line (debug and up) as parsed JSON records. */
export const captureLogs = () => {
  const lines: Array<string> = []
  const layer = Layer.merge(
    Logger.layer([Logger.map(makeLineLogger(true), (line) => void lines.push(line))]),
    Layer.succeed(References.MinimumLogLevel, "Debug"),
  )
  return { layer, lines, records: (): Array<LogRecord> => lines.map((line) => JSON.parse(line) as LogRecord) }
}

/** Fast retries so that tests of outages do not wait long. */
export const fastRetries = { retryInitial: "20 millis", retryMax: "100 millis" } as const satisfies Partial<
  JwksOptions
>

/** Jwks (and the Readiness it reports to) against real providers over fetch. */
export const jwksStack = (options: JwksOptions, logs: ReturnType<typeof captureLogs>["layer"]) =>
  Jwks.layerWith(options).pipe(
    Layer.provideMerge(Readiness.layer),
    Layer.provide(FetchHttpClient.layer),
    Layer.provide(logs),
  )

/**
 * Authenticator over Jwks, with the Jwks and Readiness services exposed to the test. The
 * TokenAuthority holds `selfSignedKeys` (none by default: direct access off).
 */
export const authenticatorStack = (
  options: JwksOptions,
  logs: ReturnType<typeof captureLogs>["layer"],
  authenticatorOptions: AuthenticatorOptions = {},
  selfSignedKeys: TokenAuthorityKeys = { signingKey: undefined, validationKey: undefined },
) =>
  Authenticator.layerWith(authenticatorOptions).pipe(
    Layer.provideMerge(jwksStack(options, logs)),
    Layer.provideMerge(TokenAuthority.layerWith(selfSignedKeys)),
  )

// --- the contract app ---------------------------------------------------------------------------

export const WhoAmI = Schema.Struct({
  subject: Schema.NullOr(Schema.String),
  issuer: Schema.String,
  gitlabRealm: Schema.NullOr(Schema.String),
  scopes: Schema.Array(Schema.String),
  isDebug: Schema.Boolean,
})

/** A protected group as later API groups will declare theirs. */
class ProtectedApi extends HttpApiGroup.make("protected")
  .add(
    HttpApiEndpoint.post("code", "/test/code", { success: WhoAmI }).annotate(RequiredScopes, [
      "code_suggestions",
    ]),
    HttpApiEndpoint.post("either", "/test/either", { success: WhoAmI }).annotate(RequiredScopes, [
      "duo_chat|documentation_search",
    ]),
    HttpApiEndpoint.post("both", "/test/both", { success: WhoAmI }).annotate(RequiredScopes, [
      "code_suggestions",
      "duo_chat",
    ]),
    HttpApiEndpoint.post("any", "/test/any", { success: WhoAmI }),
  )
  .middleware(Authentication) {}

/** A group with the group-level annotation, for the endpoint-over-group rule. */
class ChatApi extends HttpApiGroup.make("chat")
  .add(
    HttpApiEndpoint.post("chat", "/test/chat", { success: WhoAmI }),
    HttpApiEndpoint.post("chatCode", "/test/chat-code", { success: WhoAmI }).annotate(RequiredScopes, [
      "code_suggestions",
    ]),
  )
  .annotate(RequiredScopes, ["duo_chat"])
  .middleware(Authentication) {}

/** Like the monitoring group: no middleware. */
class ProbeApi extends HttpApiGroup.make("probe").add(
  HttpApiEndpoint.get("ready", "/test/ready", {
    success: Schema.Struct({ ready: Schema.Boolean, checks: Schema.Record(Schema.String, Schema.Boolean) }),
  }),
) {}

export class TestApi extends HttpApi.make("authTest").add(ProtectedApi).add(ChatApi).add(ProbeApi) {}

const whoAmI = Effect.map(Effect.service(Identity), (identity) => ({
  subject: identity.subject ?? null,
  issuer: identity.issuer,
  gitlabRealm: identity.gitlabRealm ?? null,
  scopes: [...identity.scopes],
  isDebug: identity.isDebug,
}))

const ProtectedHandlers = HttpApiBuilder.group(
  TestApi,
  "protected",
  (handlers) =>
    handlers.handleAll({ code: () => whoAmI, either: () => whoAmI, both: () => whoAmI, any: () => whoAmI }),
)

const ChatHandlers = HttpApiBuilder.group(
  TestApi,
  "chat",
  (handlers) => handlers.handleAll({ chat: () => whoAmI, chatCode: () => whoAmI }),
)

const ProbeHandlers = HttpApiBuilder.group(
  TestApi,
  "probe",
  Effect.fn(function* (handlers) {
    const readiness = yield* Readiness
    return handlers.handle("ready", () => readiness.current)
  }),
)

const servedPaths = new Set(
  Object.values(TestApi.groups).flatMap((group) =>
    Object.values(group.endpoints).map((endpoint) => endpoint.path)
  ),
)

export interface AuthTestApp {
  readonly request: (path: string, init?: RequestInit) => Promise<Response>
  readonly logs: () => Array<LogRecord>
  /** The raw log lines, to check that no secret appears anywhere in them. */
  readonly rawLogs: () => string
  readonly dispose: () => Promise<void>
}

export interface AuthTestAppOptions {
  /** AppConfig variables (AIGW_GITLAB_URL, AIGW_AUTH__BYPASS_EXTERNAL, ...). */
  readonly env: Readonly<Record<string, string>>
  /**
   * Jwks timings; when given, the verifying middleware is assembled with them. Without it the
   * production `AuthMiddleware.layer` runs, exactly as src/app.ts wires it.
   */
  readonly jwks?: Omit<JwksOptions, "providers"> & { readonly providers: ReadonlyArray<string> }
}

export const startAuthTestApp = (options: AuthTestAppOptions): AuthTestApp => {
  const lines: Array<string> = []
  const auth = options.jwks === undefined ? AuthMiddleware.layer : AuthMiddleware.layerVerifying.pipe(
    Layer.provide(Authenticator.layer),
    Layer.provide(Jwks.layerWith(options.jwks)),
    Layer.provide(FetchHttpClient.layer),
  )
  const routes = HttpApiBuilder.layer(TestApi).pipe(
    Layer.provide([ProtectedHandlers, ChatHandlers, ProbeHandlers]),
    Layer.provide(auth),
  )
  const app = Layer.unwrap(
    Effect.map(
      Effect.service(AppConfig),
      (config) => Layer.mergeAll(routes, requestPipeline(config, servedPaths)),
    ),
  ).pipe(Layer.provide(Readiness.layer), Layer.provide(TokenAuthority.layer))
  const { handler, dispose } = HttpRouter.toWebHandler(
    app.pipe(
      Layer.provideMerge(makeRuntimeLayer({
        config: AppConfig.layerTest({ AIGW_LOGGING__LEVEL: "debug", ...options.env }),
        fileSystem: NodeFileSystem.layer,
        logSink: LogSink.layerMemory(lines),
      })),
      Layer.provide(HttpServer.layerServices),
    ),
    { disableLogger: true },
  )
  return {
    request: (path, init) => handler(new Request(new URL(path, "http://aigw.test"), init)),
    logs: () => lines.map((line) => JSON.parse(line) as LogRecord),
    rawLogs: () => lines.join("\n"),
    dispose,
  }
}
