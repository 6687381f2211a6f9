/**
 * The monitoring API: liveness and readiness probes, served with no auth. Handlers:
 * monitoringHandlers.ts.
 */
import * as Schema from "effect/Schema"
import * as HttpApiEndpoint from "effect/http-api/HttpApiEndpoint"
import * as HttpApiGroup from "effect/http-api/HttpApiGroup"
import * as OpenApi from "effect/http-api/OpenApi"

export const HealthStatus = Schema.Struct({ status: Schema.Literal("ok") })

export const ReadyStatus = Schema.Struct({
  status: Schema.Literal("ok"),
  checks: Schema.Record(Schema.String, Schema.Boolean),
})

/**
 * 503 while a readiness check (e.g. the JWKS cache) has not passed yet. `Schema.Error` encodes
 * only the declared fields, so the body carries no `_tag`.
 */
export class NotReady extends Schema.Error<NotReady>("NotReady")({
  status: Schema.Literal("unavailable"),
  checks: Schema.Record(Schema.String, Schema.Boolean),
}, { httpApiStatus: 503, description: "A readiness check has not passed yet" }) {
  get _tag(): "NotReady" {
    return "NotReady"
  }
}

export class MonitoringApi extends HttpApiGroup.make("monitoring")
  .add(
    HttpApiEndpoint.get("healthz", "/monitoring/healthz", { success: HealthStatus }),
    HttpApiEndpoint.get("ready", "/monitoring/ready", { success: ReadyStatus, error: NotReady }),
  )
  .annotateMerge(
    OpenApi.annotations({ title: "Monitoring", description: "Liveness and readiness probes" }),
  ) {}
