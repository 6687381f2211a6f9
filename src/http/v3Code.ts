/**
 * The v3 code suggestions API (SPEC §3.4, §12.3): `/v3/code/completions` with 1 to 100 prompt
 * components — one completion or generation, and `code_context` components whose content joins
 * the prompt; scope `code_suggestions`.
 */
import * as Schema from "effect/Schema"
import * as HttpApiEndpoint from "effect/http-api/HttpApiEndpoint"
import * as HttpApiGroup from "effect/http-api/HttpApiGroup"
import * as OpenApi from "effect/http-api/OpenApi"
import { Authentication } from "../auth/Authentication.ts"
import { RequiredScopes } from "../auth/scopes.ts"
import { BoundedString, LaxBoolean, LaxInt } from "../schema/Lax.ts"
import {
  maxContentLength,
  maxPromptLength,
  PromptMessage,
  SuggestionModel,
  TrimmedFileName,
} from "./v2Code.ts"
import { optionalNullable } from "../schema/Nullable.ts"

const editorFields = {
  file_name: TrimmedFileName,
  content_above_cursor: BoundedString(maxContentLength),
  content_below_cursor: BoundedString(maxContentLength),
  language_identifier: optionalNullable(BoundedString(255)),
  model_provider: optionalNullable(Schema.Literals(["vertex-ai", "anthropic"])),
  model_name: optionalNullable(BoundedString(50)),
  stream: optionalNullable(LaxBoolean),
}

export const CompletionPayload = Schema.Struct({
  ...editorFields,
  choices_count: optionalNullable(LaxInt),
  prompt: optionalNullable(Schema.Union([BoundedString(maxPromptLength), Schema.Array(PromptMessage)])),
})

export const GenerationPayload = Schema.Struct({
  ...editorFields,
  prompt: optionalNullable(BoundedString(maxPromptLength)),
  prompt_id: optionalNullable(BoundedString(255)),
})

export const ComponentMetadata = Schema.Struct({
  source: BoundedString(255),
  version: BoundedString(255),
})

export const CompletionComponent = Schema.Struct({
  type: Schema.Literal("code_editor_completion"),
  payload: CompletionPayload,
  metadata: optionalNullable(ComponentMetadata),
})

export const GenerationComponent = Schema.Struct({
  type: Schema.Literal("code_editor_generation"),
  payload: GenerationPayload,
  metadata: optionalNullable(ComponentMetadata),
})

/** Context for the prompt: a file or snippet the editor chose (GitLab 17.3+). */
export const CodeContextComponent = Schema.Struct({
  type: Schema.Literal("code_context"),
  payload: Schema.Struct({
    type: BoundedString(1024),
    name: BoundedString(1024),
    content: BoundedString(maxContentLength),
  }),
  metadata: optionalNullable(ComponentMetadata),
})

export const PromptComponent = Schema.Union([CompletionComponent, GenerationComponent, CodeContextComponent])
export type PromptComponent = typeof PromptComponent.Type

export const maxPromptComponents = 100

export const V3Body = Schema.Struct({
  prompt_components: Schema.Array(PromptComponent).check(
    Schema.isBetweenLength(1, maxPromptComponents, { expected: "1 to 100 prompt components" }),
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
export type V3Body = typeof V3Body.Type

export const V3Response = Schema.Struct({
  response: Schema.String,
  choices: Schema.Array(
    Schema.Struct({ text: Schema.String, index: Schema.Int, finish_reason: Schema.String }),
  ),
  metadata: Schema.Struct({ model: SuggestionModel, timestamp: Schema.Int }),
})
export type V3Response = typeof V3Response.Type

export class CodeSuggestionsV3Api extends HttpApiGroup.make("codeSuggestionsV3")
  .add(
    HttpApiEndpoint.post("completions", "/v3/code/completions", { payload: V3Body, success: V3Response })
      .annotate(
        OpenApi.Description,
        "Completion or generation from a prompt component, with optional code_context components. With `payload.stream: true` the answer is " +
          "`text/event-stream`: the model's text chunks, raw.",
      ),
  )
  .middleware(Authentication)
  .annotate(RequiredScopes, ["code_suggestions"])
  .annotateMerge(OpenApi.annotations({ title: "Code Suggestions v3" })) {}
