/**
 * The v3 code suggestions API (SPEC §3.4): `/v3/code/completions` with exactly one prompt
 * component, a completion or a generation; scope `code_suggestions`.
 */
import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import { Authentication } from "../auth/Authentication.ts"
import { RequiredScopes } from "../auth/scopes.ts"
import { BoundedString, LaxBoolean } from "../schema/Lax.ts"
import { maxContentLength, maxPromptLength, SuggestionModel, TrimmedFileName } from "./v2Code.ts"
import { optionalNullable } from "../schema/Nullable.ts"

export const ComponentPayload = Schema.Struct({
  file_name: TrimmedFileName,
  content_above_cursor: BoundedString(maxContentLength),
  content_below_cursor: BoundedString(maxContentLength),
  language_identifier: optionalNullable(BoundedString(255)),
  model_provider: optionalNullable(Schema.Literals(["vertex-ai", "anthropic"])),
  stream: optionalNullable(LaxBoolean),
  prompt: optionalNullable(BoundedString(maxPromptLength)),
})
export type ComponentPayload = typeof ComponentPayload.Type

export const ComponentMetadata = Schema.Struct({
  source: BoundedString(255),
  version: BoundedString(255),
})

export const PromptComponent = Schema.Struct({
  type: Schema.Literals(["code_editor_completion", "code_editor_generation"]),
  payload: ComponentPayload,
  metadata: optionalNullable(ComponentMetadata),
})
export type PromptComponent = typeof PromptComponent.Type

export const V3Body = Schema.Struct({
  prompt_components: Schema.Array(PromptComponent).check(
    Schema.isBetweenLength(1, 1, { expected: "exactly one prompt component" }),
  ),
}).annotate({
  examples: [{
    prompt_components: [{
      type: "code_editor_completion",
      payload: {
        file_name: "app.py",
        content_above_cursor: "def add(x, y):\n    return ",
        content_below_cursor: "",
        language_identifier: "python",
      },
    }],
  }],
})

export const V3Response = Schema.Struct({
  response: Schema.String,
  metadata: Schema.Struct({ model: SuggestionModel, timestamp: Schema.Int }),
})
export type V3Response = typeof V3Response.Type

export class CodeSuggestionsV3Api extends HttpApiGroup.make("codeSuggestionsV3")
  .add(
    HttpApiEndpoint.post("completions", "/v3/code/completions", { payload: V3Body, success: V3Response })
      .annotate(
        OpenApi.Description,
        "Completion or generation from one prompt component. With `payload.stream: true` the answer is " +
          "`text/event-stream`: the model's text chunks, raw.",
      ),
  )
  .middleware(Authentication)
  .annotate(RequiredScopes, ["code_suggestions"])
  .annotateMerge(OpenApi.annotations({ title: "Code Suggestions v3" })) {}
