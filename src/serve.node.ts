/**
 * Serving on Node, one process (or one worker of a cluster): the API listener, the metrics
 * listener (or, in a worker, the answers to the primary's metric requests), the start-up summary
 * and the drain on SIGTERM/SIGINT. main.node.ts imports this only in a process that serves, so a
 * cluster's primary never loads the app (about 80 MB less RSS for it).
 */
// Modules, not the package's index: that would load every platform module, the `redis` client
// and `ws` among them (about 15 MB at idle, docs/decisions.md "Memory at idle").
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as HttpRouter from "effect/http/HttpRouter"
import cluster from "node:cluster"
import { createServer } from "node:http"
import { AppLayer, makeRuntimeLayer } from "./app.ts"
import { AppConfig, type AppConfigShape } from "./config/AppConfig.ts"
import { routerConfig } from "./http/middleware/pipeline.ts"
import { MetricsRoutes } from "./observability/metricsRoutes.ts"
import { ModelCatalog } from "./models/catalog.ts"
import * as UpstreamClient from "./net/upstreamClient.ts"
import { logStartupSummary } from "./monitoring/StartupSummary.ts"
import { listenFailureLine, startMode } from "./startup.ts"
import { isClusterWorker, WorkerMetricsLayer } from "./workers.ts"

/** How long in-flight requests and streams may run on after a shutdown signal (SPEC §8). */
export const shutdownGrace = "30 seconds"

/**
 * The API's Node server with the limits on slow clients and open sockets: the whole request
 * within `AIGW_HTTP__BODY_TIMEOUT_SECONDS` and its headers within
 * `AIGW_HTTP__HEADERS_TIMEOUT_SECONDS` (Node answers 408 and closes the connection), at most
 * `AIGW_HTTP__MAX_CONNECTIONS` sockets (further ones are closed at once).
 */
export const makeApiServer = (http: AppConfigShape["http"]) => {
  const requestTimeout = http.bodyTimeoutSeconds * 1000
  const server = createServer({
    keepAliveTimeout: 65_000,
    requestTimeout,
    headersTimeout: Math.min(http.headersTimeoutSeconds * 1000, requestTimeout),
    // Node checks both timeouts on this interval; its default (30 s) could double them.
    connectionsCheckingInterval: Math.min(1000, requestTimeout),
  })
  server.maxConnections = http.maxConnections
  return server
}

/**
 * The Node HTTP server for an app layer: listens on the configured host and port, and on
 * interruption (a signal) stops accepting and lets in-flight requests finish within the grace.
 */
export const nodeServer = <E, R>(config: AppConfigShape, app: Layer.Layer<never, E, R>) =>
  HttpRouter.serve(app, { disableLogger: true, routerConfig }).pipe(
    Layer.provide(NodeHttpServer.layer(() => makeApiServer(config.http), {
      host: config.fastapi.apiHost,
      port: config.fastapi.apiPort,
      gracefulShutdownTimeout: shutdownGrace,
    })),
  )

/** The metrics listener (`GET /metrics`) on its own host and port. */
export const nodeMetricsServer = (config: AppConfigShape) =>
  HttpRouter.serve(MetricsRoutes, { disableLogger: true, disableListenLog: true }).pipe(
    Layer.provide(NodeHttpServer.layer(() => createServer(), {
      host: config.fastapi.metricsHost,
      port: config.fastapi.metricsPort,
      gracefulShutdownTimeout: "1 second",
    })),
  )

/** Serves the API and the metrics with a loaded configuration until a signal has drained them. */
export const serve = (config: AppConfigShape): void => {
  const runtime = makeRuntimeLayer({
    config: Layer.succeed(AppConfig, AppConfig.of(config)),
    fileSystem: NodeFileSystem.layer,
    upstreamHttpClient: UpstreamClient.layerNode,
  })
  const mode = startMode(process.argv)
  const listen = <E, R>(server: Layer.Layer<never, E, R>, host: string, port: number, variable: string) =>
    Layer.build(server).pipe(
      Effect.catchCause((cause) => {
        const failure = Cause.findErrorOption(cause)
        if (failure._tag === "Some" && (failure.value as { _tag?: unknown })._tag === "ServeError") {
          process.stderr.write(
            `${listenFailureLine((failure.value as { cause: unknown }).cause, { host, port, variable })}\n`,
          )
          process.exit(1)
        }
        return Effect.failCause(cause)
      }),
    )
  const program = Effect.gen(function* () {
    yield* listen(
      nodeServer(config, AppLayer),
      config.fastapi.apiHost,
      config.fastapi.apiPort,
      "AIGW_FASTAPI__API_PORT",
    )
    // In a cluster the primary serves the metrics, summed over the workers.
    if (isClusterWorker()) {
      yield* Layer.build(WorkerMetricsLayer)
    } else {
      yield* listen(
        nodeMetricsServer(config),
        config.fastapi.metricsHost,
        config.fastapi.metricsPort,
        "AIGW_FASTAPI__METRICS_PORT",
      )
    }
    // One summary per gateway: the first worker of a cluster says it for all of them.
    if (!isClusterWorker() || cluster.worker?.id === 1) {
      yield* logStartupSummary(mode, config).pipe(Effect.provide(ModelCatalog.layer))
    }
    // Added after the servers, so it runs first when the scope closes: before they drain.
    yield* Effect.addFinalizer(() =>
      Effect.logInfo("shutdown: no new connections; requests in flight finish (up to 30 s)", {
        logger: "aigw",
      })
    )
    return yield* Effect.never
  }).pipe(
    Effect.scoped,
    Effect.onInterrupt(() => Effect.logInfo("shutdown complete", { logger: "aigw" })),
    Effect.provide(runtime),
  )
  NodeRuntime.runMain(program, {
    // A signal interrupts the server after it drained: that is a clean exit, not a failure.
    teardown: (exit, onExit) => onExit(Exit.isSuccess(exit) || Cause.hasInterruptsOnly(exit.cause) ? 0 : 1),
  })
}
