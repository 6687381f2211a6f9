/**
 * Deno 2 entrypoint: `npm run start:deno` (see package.json for the permissions). Serves the
 * same app as Node, through its web handler and `Deno.serve`; add `--dev` for the embedded
 * development defaults. `--unstable-no-legacy-abort` makes `request.signal` abort only when the
 * client goes away, so a finished response does not interrupt the request's fiber.
 *
 * SIGTERM/SIGINT: stop accepting, let in-flight requests and streams finish (up to 30 s), exit 0.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import { makeRuntimeLayer, makeWebHandler } from "./app.ts"
import { AppConfig } from "./config/AppConfig.ts"
import { WebPeerAddress } from "./http/middleware/clientAddress.ts"
import { makeMetrics, Metrics } from "./observability/Metrics.ts"
import { makeMetricsWebHandler } from "./observability/metricsRoutes.ts"
import { ModelCatalog } from "./models/catalog.ts"
import * as UpstreamClient from "./net/upstreamClient.ts"
import { logStartupSummary } from "./monitoring/StartupSummary.ts"
import { listenFailureLine, loadConfiguration, startMode } from "./startup.ts"

const loaded = loadConfiguration({
  args: Deno.args,
  environment: Deno.env.toObject(),
  readTextFile: (path) => Deno.readTextFileSync(path),
})
if (Result.isFailure(loaded)) {
  console.error(loaded.failure)
  Deno.exit(1)
}
const config = loaded.success

const metrics = Metrics.layerFrom(makeMetrics())
const { handler, dispose } = makeWebHandler({
  config: Layer.succeed(AppConfig, AppConfig.of(config)),
  fileSystem: NodeFileSystem.layer,
  metrics,
  upstreamHttpClient: UpstreamClient.layerFetch,
})
const metricsHandler = makeMetricsWebHandler(metrics)
/** Logs through the configured loggers, outside a request. */
const log = (effect: Effect.Effect<void, unknown, AppConfig | ModelCatalog>) =>
  Effect.runPromise(effect.pipe(
    Effect.provide(ModelCatalog.layer),
    Effect.provide(
      makeRuntimeLayer({
        config: Layer.succeed(AppConfig, AppConfig.of(config)),
        fileSystem: NodeFileSystem.layer,
        upstreamHttpClient: UpstreamClient.layerFetch,
      }),
    ),
  ))

/** `Deno.serve`, or one line and exit 1 when the address cannot be bound. */
const serve = <T>(host: string, port: number, variable: string, start: () => T): T => {
  try {
    return start()
  } catch (error) {
    console.error(listenFailureLine(error, { host, port, variable }))
    Deno.exit(1)
  }
}

const metricsServer = serve(
  config.fastapi.metricsHost,
  config.fastapi.metricsPort,
  "AIGW_FASTAPI__METRICS_PORT",
  () =>
    Deno.serve(
      { hostname: config.fastapi.metricsHost, port: config.fastapi.metricsPort, onListen: () => {} },
      (request) => metricsHandler.handler(request),
    ),
)

const server = serve(
  config.fastapi.apiHost,
  config.fastapi.apiPort,
  "AIGW_FASTAPI__API_PORT",
  () =>
    Deno.serve({
      hostname: config.fastapi.apiHost,
      port: config.fastapi.apiPort,
      onListen: ({ hostname, port }) => {
        console.log(JSON.stringify({
          timestamp: new Date().toISOString(),
          level: "info",
          logger: "aigw",
          event: `Listening on http://${hostname}:${port}`,
        }))
      },
    }, (request, info) => {
      const peer = info.remoteAddr.transport === "tcp"
        ? { hostname: info.remoteAddr.hostname, port: info.remoteAddr.port }
        : undefined
      return handler(request, peer === undefined ? Context.empty() : Context.make(WebPeerAddress, peer))
    }),
)
await log(logStartupSummary(startMode(Deno.args), config))

const shutdownGraceMs = 30_000
let stopping = false
const stop = async () => {
  if (stopping) return
  stopping = true
  await log(
    Effect.logInfo("shutdown: no new connections; requests in flight finish (up to 30 s)", {
      logger: "aigw",
    }),
  )
  await Promise.race([
    Promise.all([server.shutdown(), metricsServer.shutdown()]),
    new Promise((resolve) => setTimeout(resolve, shutdownGraceMs)),
  ])
  await Promise.all([dispose(), metricsHandler.dispose()])
  await log(Effect.logInfo("shutdown complete", { logger: "aigw" }))
  Deno.exit(0)
}
Deno.addSignalListener("SIGTERM", stop)
Deno.addSignalListener("SIGINT", stop)
