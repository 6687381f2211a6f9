/**
 * The v4 code suggestions API (GitLab 17.9+): `/v4/code/suggestions` takes the v3 body; a
 * streamed answer is Server-Sent Events (`stream_start`, `content_chunk`, `stream_end`) with
 * `X-Streaming-Format: sse`; otherwise it answers as v3. Scope `code_suggestions`.
 */
import * as HttpApiEndpoint from "effect/http-api/HttpApiEndpoint"
import * as HttpApiGroup from "effect/http-api/HttpApiGroup"
import * as OpenApi from "effect/http-api/OpenApi"
import { Authentication } from "../auth/Authentication.ts"
import { RequiredScopes } from "../auth/scopes.ts"
import { V3Body, V3Response } from "./v3Code.ts"

export class CodeSuggestionsV4Api extends HttpApiGroup.make("codeSuggestionsV4")
  .add(
    HttpApiEndpoint.post("suggestions", "/v4/code/suggestions", { payload: V3Body, success: V3Response })
      .annotate(
        OpenApi.Description,
        "As /v3/code/completions. With `payload.stream: true` the answer is Server-Sent Events: " +
          "`stream_start` (model metadata), one `content_chunk` per model chunk, then `stream_end`.",
      ),
  )
  .middleware(Authentication)
  .annotate(RequiredScopes, ["code_suggestions"])
  .annotateMerge(OpenApi.annotations({ title: "Code Suggestions v4" })) {}
