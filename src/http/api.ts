/**
 * The HTTP API of aigw as one Effect `HttpApi` definition: the schemas here validate requests,
 * type the handlers and generate the OpenAPI document.
 *
 * Every route is also served under `/ai` (and the token route also under `/auth`, see
 * middleware/aiPrefix.ts); the document lists the bare paths.
 */
import * as HttpApi from "effect/http-api/HttpApi"
import * as OpenApi from "effect/http-api/OpenApi"
import { polishOpenApi } from "./openApiDocument.ts"
import { MonitoringApi } from "./monitoring.ts"
import { ChatApi } from "./v1Chat.ts"
import { CodeV1Api } from "./v1Code.ts"
import { XRayApi } from "./v1XRay.ts"
import { CodeSuggestionsV2Api } from "./v2Code.ts"
import { CodeSuggestionsV3Api } from "./v3Code.ts"
import { CodeSuggestionsV4Api } from "./v4Code.ts"

export class Api extends HttpApi.make("aigw")
  .add(MonitoringApi)
  .add(CodeSuggestionsV2Api)
  .add(CodeSuggestionsV3Api)
  .add(CodeSuggestionsV4Api)
  .add(ChatApi)
  .add(XRayApi)
  .add(CodeV1Api)
  // Report every bad field at once, as FastAPI did, not only the first.
  .annotate(HttpApi.PayloadParseOptions, { errors: "all" })
  .annotateMerge(OpenApi.annotations({
    title: "aigw",
    description: "AI gateway compatible with the GitLab AI Gateway (Code Suggestions, Duo Chat, X-Ray).",
    transform: polishOpenApi,
  })) {}
