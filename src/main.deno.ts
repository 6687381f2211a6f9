/**
 * Deno 2 entrypoint: `npm run start:deno` (see package.json for the permissions). Serves the
 * same app as Node, through its web handler and `Deno.serve`; add `--dev` for the embedded
 * development defaults. `--unstable-no-legacy-abort` makes `request.signal` abort only when the
 * client goes away, so a finished response does not interrupt the request's fiber.
 *
 * SIGTERM/SIGINT: stop accepting, let in-flight requests and streams finish (up to 30 s), exit 0.
 */
import { NodeFileSystem } from "@effect/platform-node"
import { Context, Layer, Result } from "effect"
import { makeWebHandler } from "./app.ts"
import { AppConfig } from "./config/AppConfig.ts"
import { WebPeerAddress } from "./http/middleware/clientAddress.ts"
import { makeMetrics, Metrics } from "./observability/Metrics.ts"
import { makeMetricsWebHandler } from "./observability/metricsRoutes.ts"
import { loadConfiguration } from "./startup.ts"

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
})
const metricsHandler = makeMetricsWebHandler(metrics)
const metricsServer = Deno.serve(
  { hostname: config.fastapi.metricsHost, port: config.fastapi.metricsPort, onListen: () => {} },
  (request) => metricsHandler.handler(request),
)

const server = Deno.serve({
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
})

const shutdownGraceMs = 30_000
let stopping = false
const stop = async () => {
  if (stopping) return
  stopping = true
  await Promise.race([
    Promise.all([server.shutdown(), metricsServer.shutdown()]),
    new Promise((resolve) => setTimeout(resolve, shutdownGraceMs)),
  ])
  await Promise.all([dispose(), metricsHandler.dispose()])
  Deno.exit(0)
}
Deno.addSignalListener("SIGTERM", stop)
Deno.addSignalListener("SIGINT", stop)
