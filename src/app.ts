/**
 * The one place that wires production: the HTTP routes of the API, the docs, the global
 * middleware, and the services they use, all from AppConfig. The runtime adapters
 * (main.node.ts, main.deno.ts) and the contract tests serve this same app.
 */
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Layer from "effect/Layer"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import type * as HttpClient from "effect/http/HttpClient"
import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpServer from "effect/http/HttpServer"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as HttpApiBuilder from "effect/http-api/HttpApiBuilder"
import * as HttpApiScalar from "effect/http-api/HttpApiScalar"
import * as AuthMiddleware from "./auth/middleware.ts"
import { AppConfig, type AppConfigShape } from "./config/AppConfig.ts"
import { Api } from "./http/api.ts"
import { bearerSchemeName } from "./http/openApiDocument.ts"
import { requestPipeline, routerConfig } from "./http/middleware/pipeline.ts"
import { withRateLimits } from "./http/middleware/rateLimit.ts"
import { ChatAgent } from "./chat/ChatAgent.ts"
import { MonitoringHandlers } from "./http/monitoringHandlers.ts"
import { ChatHandlers } from "./http/v1ChatHandlers.ts"
import { CodeV1Handlers } from "./http/v1CodeHandlers.ts"
import { XRayHandlers } from "./http/v1XRayHandlers.ts"
import { CodeSuggestionsV2Handlers } from "./http/v2CodeHandlers.ts"
import { CodeSuggestionsV3Handlers } from "./http/v3CodeHandlers.ts"
import { CodeSuggestionsV4Handlers } from "./http/v4CodeHandlers.ts"
import { TokenAuthority } from "./auth/TokenAuthority.ts"
import { ModelsLayer } from "./models/layer.ts"
import * as UpstreamClient from "./net/upstreamClient.ts"
import { Completions } from "./suggestions/Completions.ts"
import { Experiments } from "./suggestions/experiments.ts"
import { Generations } from "./suggestions/Generations.ts"
import { PostProcessor } from "./suggestions/PostProcessor.ts"
import { Preparation } from "./suggestions/Preparation.ts"
import { TreeSitter } from "./suggestions/treesitter.ts"
import { XRay } from "./xray/XRay.ts"
import { Readiness } from "./monitoring/Readiness.ts"
import { RateLimiter } from "./ratelimit/RateLimiter.ts"
import * as EventLoopMonitor from "./observability/EventLoopMonitor.ts"
import * as Logger from "./observability/Logger.ts"
import { Metrics } from "./observability/Metrics.ts"
import { Tracking } from "./observability/Tracking.ts"

/** Every path the app serves (bare, without `/ai`), for telling 405 from 404. */
const servedPaths = (config: AppConfigShape): ReadonlySet<string> => {
  const paths = new Set<string>()
  for (const group of Object.values(Api.groups)) {
    for (const endpoint of Object.values(group.endpoints)) paths.add(endpoint.path)
  }
  paths.add(faviconPath)
  for (const path of [config.fastapi.openapiUrl, config.fastapi.docsUrl, config.fastapi.redocUrl]) {
    if (path !== undefined) paths.add(path)
  }
  return paths
}

/** Browsers ask for it on every docs page load: an empty answer, not a logged 404. */
const faviconPath = "/favicon.ico"

const FaviconRoute = HttpRouter.add(
  "GET",
  faviconPath,
  Effect.succeed(HttpServerResponse.empty({ status: 204 })),
)

/** Scalar with its script inlined and no web fonts: the page loads nothing from the network. */
const scalarPage = (path: `/${string}`) =>
  HttpApiScalar.layer(Api, {
    path,
    scalar: {
      withDefaultFonts: false,
      defaultOpenAllTags: true,
      authentication: { preferredSecurityScheme: bearerSchemeName },
    },
  })

/**
 * The documentation routes that are configured (an unset URL means that route is off). The
 * second page (`AIGW_FASTAPI__REDOC_URL`) redirects to the Scalar page, which has ReDoc's
 * reading layout and also runs requests; alone, it serves that page itself.
 */
const docsRoutes = (config: AppConfigShape) => {
  const { docsUrl, redocUrl } = config.fastapi
  const routes: Array<Layer.Layer<never, never, HttpRouter.HttpRouter>> = []
  if (docsUrl !== undefined) routes.push(scalarPage(docsUrl))
  if (redocUrl !== undefined) {
    routes.push(
      docsUrl === undefined ? scalarPage(redocUrl) : HttpRouter.add(
        "GET",
        redocUrl,
        Effect.succeed(HttpServerResponse.redirect(docsUrl, { status: 307 })),
      ),
    )
  }
  return routes
}

/** The HTTP routes and middleware, built from AppConfig. */
export const HttpAppLayer = Layer.unwrap(
  Effect.map(Effect.service(AppConfig), (config) => {
    const api = HttpApiBuilder.layer(Api, { openapiPath: config.fastapi.openapiUrl }).pipe(
      Layer.provide([
        MonitoringHandlers,
        CodeSuggestionsV2Handlers,
        CodeSuggestionsV3Handlers,
        CodeSuggestionsV4Handlers,
        ChatHandlers,
        XRayHandlers,
        CodeV1Handlers,
      ]),
      Layer.provide(withRateLimits(AuthMiddleware.layer)),
    )
    return Layer.mergeAll(
      api,
      requestPipeline(config, servedPaths(config)),
      FaviconRoute,
      ...docsRoutes(config),
    )
  }),
)

/** The code suggestion use cases over the model services. */
const SuggestionsLayer = Layer.mergeAll(Completions.layer, Generations.layer).pipe(
  Layer.provide(Layer.mergeAll(Experiments.layer, PostProcessor.layer, Preparation.layer)),
  Layer.provideMerge(TreeSitter.layer),
  Layer.provide(ModelsLayer),
)

/** Duo Chat and X-Ray over the model services. */
const ChatLayer = Layer.mergeAll(ChatAgent.layer, XRay.layer).pipe(Layer.provide(ModelsLayer))

/** Snowplow tracking (off unless configured), sending with the fetch-based client. */
const TrackingLayer = Tracking.layer.pipe(Layer.provide(FetchHttpClient.layer))

/** The services the routes use, wired for production. */
export const ServicesLayer = Layer.mergeAll(
  Readiness.layer,
  SuggestionsLayer,
  ChatLayer,
  TokenAuthority.layer,
  RateLimiter.layer,
)
  .pipe(
    Layer.provideMerge(TrackingLayer),
  )

/** The routes with the services they use; requires AppConfig (see `makeRuntimeLayer`). */
export const AppLayer = HttpAppLayer.pipe(Layer.provide(ServicesLayer))

export interface RuntimeLayerOptions<E> {
  readonly config: Layer.Layer<AppConfig, E>
  /** For `AIGW_LOGGING__TO_FILE`; the adapters pass their runtime's file system. */
  readonly fileSystem: Layer.Layer<FileSystem.FileSystem>
  /** Where log lines go; stdout unless a test collects them. */
  readonly logSink?: Layer.Layer<Logger.LogSink>
  /** The metrics registry, when the adapter also serves it on the metrics listener. */
  readonly metrics?: Layer.Layer<Metrics>
  /**
   * The HttpClient the model providers call upstream with: the adapters pass their runtime's
   * (src/net/upstreamClient.ts); unset, the one for the runtime this runs on.
   */
  readonly upstreamHttpClient?: Layer.Layer<HttpClient.HttpClient>
}

/**
 * What every fiber of the process runs with: the configuration, the configured loggers, the
 * metrics registry and the upstream HttpClient (its connection pool). Provided around the servers, so request fibers log through it too and the
 * metrics listener serves the same registry the API updates.
 */
export const makeRuntimeLayer = <E>(options: RuntimeLayerOptions<E>) =>
  Layer.mergeAll(
    Logger.layer,
    options.metrics ?? Metrics.layer,
    // Logs through the configured loggers, like request fibers.
    EventLoopMonitor.layer.pipe(Layer.provide(Logger.layer)),
    options.upstreamHttpClient ?? UpstreamClient.layerForRuntime,
  ).pipe(
    Layer.provideMerge(options.fileSystem),
    Layer.provideMerge(options.logSink ?? Logger.LogSink.layerStdout),
    Layer.provideMerge(options.config),
  )

/** The app as a fetch-style handler (Deno.serve, contract tests). */
export const makeWebHandler = <E>(options: RuntimeLayerOptions<E>) =>
  HttpRouter.toWebHandler(
    AppLayer.pipe(Layer.provideMerge(makeRuntimeLayer(options)), Layer.provide(HttpServer.layerServices)),
    { disableLogger: true, routerConfig },
  )
