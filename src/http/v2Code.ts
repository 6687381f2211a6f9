/**
 * The v2 code suggestions API (SPEC §3.1–§3.3): `/v2/completions`, `/v2/code/completions` and
 * `/v2/code/generations`, scope `code_suggestions`.
 *
 * Bodies are as GitLab and the Language Server send them: unknown keys (`intent`,
 * `choices_count`, `context`, …) are ignored, optional fields may be `null`, and coercion is as
 * lax as the original's. `prompt_version` decides what `prompt` must be; that rule, and whether
 * `model_name` is a model of `model_provider`, are checked by the use cases and answered 422.
 */
import * as Schema from "effect/Schema"
import * as HttpApiEndpoint from "effect/http-api/HttpApiEndpoint"
import * as HttpApiGroup from "effect/http-api/HttpApiGroup"
import * as OpenApi from "effect/http-api/OpenApi"
import { Authentication } from "../auth/Authentication.ts"
import { RequiredScopes } from "../auth/scopes.ts"
import { BoundedString, LaxBoolean, LaxInt, TrimmedString } from "../schema/Lax.ts"
import { providerNames } from "../models/catalog.ts"
import { optionalNullable } from "../schema/Nullable.ts"
import { customModelProvider } from "../suggestions/customModel.ts"

export const maxContentLength = 100_000
export const maxPromptLength = 400_000

/** File names are trimmed before their length check (SPEC §8). */
export const TrimmedFileName = TrimmedString(255)

export const CurrentFile = Schema.Struct({
  file_name: TrimmedFileName,
  language_identifier: optionalNullable(BoundedString(255)),
  content_above_cursor: BoundedString(maxContentLength),
  // Required by the SPEC, but GitLab's own messages-prompt request (fixture 07) omits it:
  // absent means an empty suffix.
  content_below_cursor: Schema.optional(BoundedString(maxContentLength)),
})
export type CurrentFile = typeof CurrentFile.Type

/** Bounds on client experiment lists: names become metric labels (SPEC §13). */
export const maxTelemetryExperiments = 10
export const maxExperimentNameLength = 100

export const TelemetryExperiment = Schema.Struct({
  name: BoundedString(maxExperimentNameLength),
  variant: LaxInt,
})

export const Telemetry = Schema.Struct({
  model_engine: optionalNullable(BoundedString(50)),
  model_name: optionalNullable(BoundedString(50)),
  lang: optionalNullable(BoundedString(50)),
  experiments: optionalNullable(
    Schema.Array(TelemetryExperiment).check(Schema.isMaxLength(maxTelemetryExperiments)),
  ),
  // GitLab sends entries with only `model_engine` (fixture 07): absent counts are zero.
  requests: Schema.optional(LaxInt),
  accepts: Schema.optional(LaxInt),
  errors: Schema.optional(LaxInt),
})
export type Telemetry = typeof Telemetry.Type

/** The catalog providers, and `litellm` for a self-hosted model the request names. */
export const ModelProvider = Schema.Literals([...providerNames, customModelProvider])

export const PromptMessage = Schema.Struct({
  role: Schema.Literals(["system", "user", "assistant"]),
  content: Schema.String,
})
export type PromptMessage = typeof PromptMessage.Type

const suggestionFields = {
  prompt_version: Schema.optional(LaxInt),
  project_path: optionalNullable(TrimmedString(255)),
  project_id: optionalNullable(LaxInt),
  current_file: CurrentFile,
  model_provider: optionalNullable(ModelProvider),
  model_name: optionalNullable(BoundedString(50)),
  // Self-hosted models (GitLab 17.1+): an OpenAI-compatible base URL, its key and model id.
  model_endpoint: optionalNullable(BoundedString(2048)),
  model_api_key: optionalNullable(BoundedString(4096)),
  model_identifier: optionalNullable(BoundedString(255)),
  prompt_id: optionalNullable(BoundedString(255)),
  telemetry: optionalNullable(Schema.Array(Telemetry).check(Schema.isMaxLength(10))),
  stream: optionalNullable(LaxBoolean),
}

export const CompletionsBody = Schema.Struct({
  ...suggestionFields,
  prompt: optionalNullable(Schema.String),
}).annotate({
  examples: [{
    current_file: {
      file_name: "app.py",
      content_above_cursor: "def add(x, y):\n    return ",
      content_below_cursor: "",
    },
  }],
})
export type CompletionsBody = typeof CompletionsBody.Type

export const GenerationsBody = Schema.Struct({
  ...suggestionFields,
  prompt: optionalNullable(Schema.Union([Schema.String, Schema.Array(PromptMessage)])),
}).annotate({
  examples: [{
    current_file: {
      file_name: "app.py",
      content_above_cursor: "# Write a function that adds two numbers\n",
      content_below_cursor: "",
    },
  }],
})
export type GenerationsBody = typeof GenerationsBody.Type

export const SuggestionModel = Schema.Struct({
  engine: Schema.String,
  name: Schema.String,
  lang: Schema.String,
})

export const Experiment = Schema.Struct({ name: Schema.String, variant: Schema.Int })

export const SuggestionResponse = Schema.Struct({
  id: Schema.String,
  model: SuggestionModel,
  experiments: Schema.Array(Experiment),
  object: Schema.Literal("text_completion"),
  created: Schema.Int,
  choices: Schema.Array(Schema.Struct({
    text: Schema.String,
    index: Schema.Int,
    finish_reason: Schema.String,
  })),
})
export type SuggestionResponse = typeof SuggestionResponse.Type

const streamingNote = "With `stream: true` the answer is `text/event-stream`: the model's text chunks, raw."

export class CodeSuggestionsV2Api extends HttpApiGroup.make("codeSuggestionsV2")
  .add(
    HttpApiEndpoint.post("completionsLegacy", "/v2/completions", {
      payload: CompletionsBody,
      success: SuggestionResponse,
    }).annotate(OpenApi.Description, `Same as /v2/code/completions. ${streamingNote}`),
    HttpApiEndpoint.post("completions", "/v2/code/completions", {
      payload: CompletionsBody,
      success: SuggestionResponse,
    }).annotate(OpenApi.Description, `Code completion at the cursor. ${streamingNote}`),
    HttpApiEndpoint.post("generations", "/v2/code/generations", {
      payload: GenerationsBody,
      success: SuggestionResponse,
    }).annotate(OpenApi.Description, `Code generation from an instruction. ${streamingNote}`),
  )
  .middleware(Authentication)
  .annotate(RequiredScopes, ["code_suggestions"])
  .annotateMerge(OpenApi.annotations({ title: "Code Suggestions v2" })) {}
