/**
 * The types of a model call shared by the call module (modelCall.ts), its measurement
 * (callMetrics.ts), Resilience and the use cases.
 */
import type * as Effect from "effect/Effect"
import type * as Stream from "effect/Stream"
import type { ModelEntry } from "./catalog.ts"
import type { ModelError } from "./errors.ts"
import type { GenerationParameters } from "./parameters.ts"
import type { ChatMessage } from "./prompt.ts"

/**
 * Which model answered, as responses, logs and metrics report it: `engine` is the provider
 * (`anthropic`, `vertex-ai`, a mock's engine) and `name` the catalog name the client asked for.
 */
export interface ModelIdentity {
  readonly engine: string
  readonly name: string
}

/** A text prompt: a prompt, or the code before and after the cursor (fill in the middle). */
export interface TextRequest {
  /** From `ModelCatalog.resolve`. */
  readonly model: ModelEntry
  /** The prompt, or the code before the cursor. */
  readonly prefix: string
  /** The code after the cursor (fill-in-the-middle models). */
  readonly suffix?: string | undefined
  /** Overrides of the entry's defaults; explicit zeros and empty lists are kept. */
  readonly parameters?: GenerationParameters | undefined
}

/**
 * A conversation: `system` becomes the system prompt, a trailing `assistant` message is a
 * prefill. A string is a `\n\nHuman: … \n\nAssistant:` prompt (legacy chat bodies).
 */
export interface ChatRequest {
  /** From `ModelCatalog.resolve`. */
  readonly model: ModelEntry
  readonly messages: string | ReadonlyArray<ChatMessage>
  readonly parameters?: GenerationParameters | undefined
  /** For the cost metric: `duo_chat` unless a code suggestion route asks through messages. */
  readonly featureCategory?: string | undefined
}

/** A whole answer, with the model that gave it. */
export interface ModelAnswer extends ModelIdentity {
  readonly text: string
}

/** A model service over one kind of request (TextModel, ChatModel). */
export interface ModelShape<Request> {
  readonly generate: (request: Request) => Effect.Effect<ModelAnswer, ModelError>
  /** Chunks as the upstream sends them; a failure after the first chunk fails the stream. */
  readonly stream: (request: Request) => Stream.Stream<string, ModelError>
  readonly identify: (model: ModelEntry) => ModelIdentity
}
