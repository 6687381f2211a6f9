/**
 * What the code suggestion use cases answer, independent of HTTP: a finished text, or a stream
 * of chunks, with the model and experiments to report; and the request errors they find.
 */
import { Data, type Stream } from "effect"
import type { ModelError } from "../models/errors.ts"
import type { ExperimentOutcome } from "./experiments.ts"

export interface SuggestionModel {
  readonly engine: string
  readonly name: string
  /** The detected language's short id, or `""`. */
  readonly lang: string
}

export type Suggestion =
  | {
    readonly _tag: "Text"
    readonly model: SuggestionModel
    readonly experiments: ReadonlyArray<ExperimentOutcome>
    /** After post-processing; `""` when the model answered nothing usable or failed. */
    readonly text: string
    /** The kind of model failure (`timeout`, `upstream_500`, …) when the model failed. */
    readonly modelError?: string
  }
  | {
    readonly _tag: "Stream"
    readonly model: SuggestionModel
    readonly experiments: ReadonlyArray<ExperimentOutcome>
    /** The model's chunks as they arrive; no post-processing applies to streams. */
    readonly chunks: Stream.Stream<string, ModelError>
  }

/** The request is well-formed JSON but asks for something impossible (answered 422). */
export class InvalidSuggestionRequest extends Data.TaggedError("InvalidSuggestionRequest")<{
  /** Where in the body, e.g. `["model_name"]`. */
  readonly field: ReadonlyArray<string | number>
  readonly message: string
}> {}
