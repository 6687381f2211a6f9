/**
 * The HTTP API of aigw as one Effect `HttpApi` definition: the schemas here validate requests,
 * type the handlers and generate the OpenAPI document.
 *
 * Every route is also served under `/ai` (and the token route also under `/auth`, see
 * middleware/aiPrefix.ts); the document lists the bare paths.
 */
import { Schema } from "effect"
import { HttpApi, HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import { ChatApi } from "./v1Chat.ts"
import { CodeV1Api } from "./v1Code.ts"
import { XRayApi } from "./v1XRay.ts"
import { CodeSuggestionsV2Api } from "./v2Code.ts"
import { CodeSuggestionsV3Api } from "./v3Code.ts"

export const HealthStatus = Schema.Struct({ status: Schema.Literal("ok") })

export const ReadyStatus = Schema.Struct({
  status: Schema.Literal("ok"),
  checks: Schema.Record(Schema.String, Schema.Boolean),
})

/** 503 while a readiness check (e.g. the JWKS cache) has not passed yet. */
export class NotReady extends Schema.TaggedError<NotReady>()("NotReady", {
  status: Schema.Literal("unavailable"),
  checks: Schema.Record(Schema.String, Schema.Boolean),
}, { httpApiStatus: 503 }) {}

export class MonitoringApi extends HttpApiGroup.make("monitoring")
  .add(
    HttpApiEndpoint.get("healthz", "/monitoring/healthz", { success: HealthStatus }),
    HttpApiEndpoint.get("ready", "/monitoring/ready", { success: ReadyStatus, error: NotReady }),
  )
  .annotateMerge(
    OpenApi.annotations({ title: "Monitoring", description: "Liveness and readiness probes" }),
  ) {}

export class Api extends HttpApi.make("aigw")
  .add(MonitoringApi)
  .add(CodeSuggestionsV2Api)
  .add(CodeSuggestionsV3Api)
  .add(ChatApi)
  .add(XRayApi)
  .add(CodeV1Api)
  // Report every bad field at once, as FastAPI did, not only the first.
  .annotate(HttpApi.PayloadParseOptions, { errors: "all" })
  .annotateMerge(OpenApi.annotations({
    title: "aigw",
    description: "AI gateway compatible with the GitLab AI Gateway (Code Suggestions, Duo Chat, X-Ray).",
  })) {}
