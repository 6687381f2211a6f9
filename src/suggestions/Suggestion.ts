/**
 * What the code suggestion use cases answer, independent of HTTP: a finished text, or a stream
 * of chunks, with what the response and tracking report; and the request errors they find.
 */
import * as Data from "effect/Data"
import type * as Stream from "effect/Stream"
import type { ModelError } from "../models/errors.ts"
import type { ModelIdentity } from "../models/types.ts"
import type { ExperimentOutcome } from "./experiments.ts"

/** What every answer reports besides its text. */
export interface SuggestionReport {
  readonly model: ModelIdentity
  /** The detected language's short id, or `""`. */
  readonly lang: string
  readonly experiments: ReadonlyArray<ExperimentOutcome>
  /** The length of the code before and after the cursor as the client sent it (tracking). */
  readonly inputLengths: { readonly prefix: number; readonly suffix: number }
}

export type Suggestion =
  | SuggestionReport & {
    readonly _tag: "Text"
    /** After post-processing; `""` when the model answered nothing usable or failed. */
    readonly text: string
    /** The kind of model failure (`timeout`, `upstream_500`, …) when the model failed. */
    readonly modelError?: string
  }
  | SuggestionReport & {
    readonly _tag: "Stream"
    /** The model's chunks as they arrive; no post-processing applies to streams. */
    readonly chunks: Stream.Stream<string, ModelError>
  }

/** The request is well-formed JSON but asks for something impossible (answered 422). */
export class InvalidSuggestionRequest extends Data.TaggedError("InvalidSuggestionRequest")<{
  /** Where in the body, e.g. `["model_name"]`. */
  readonly field: ReadonlyArray<string | number>
  readonly message: string
}> {}
