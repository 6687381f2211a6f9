/**
 * The metrics listener's routes (SPEC §7): `GET /metrics` in the Prometheus text format from the
 * app's registry, on its own host and port (`AIGW_FASTAPI__METRICS_HOST` / `__METRICS_PORT`) so
 * scrapes never compete with, or are exposed like, the API.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpServer from "effect/http/HttpServer"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import { Metrics } from "./Metrics.ts"

export const MetricsRoutes = HttpRouter.use(Effect.fnUntraced(function* (router) {
  const metrics = yield* Metrics
  yield* router.add(
    "GET",
    "/metrics",
    Effect.map(
      Effect.promise(() => metrics.registry.metrics()),
      (text) => HttpServerResponse.text(text, { contentType: metrics.registry.contentType }),
    ),
  )
}))

/** The metrics listener as a fetch-style handler (Deno.serve, tests), over a given registry. */
export const makeMetricsWebHandler = (metrics: Layer.Layer<Metrics>) =>
  HttpRouter.toWebHandler(
    MetricsRoutes.pipe(Layer.provide(metrics), Layer.provide(HttpServer.layerServices)),
    {
      disableLogger: true,
    },
  )
