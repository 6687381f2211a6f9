/**
 * The typed failures of a model call. Each carries the provider (`engine`) and the catalog name
 * (`model`) so the HTTP layer can map it without knowing which upstream failed:
 * code routes answer 200 with empty choices and `X-AIGW-Model-Error: <kind>`; chat answers
 * 502 (status, connection), 504 (timeout) or 503 (concurrency). `kind` is that header value.
 */
import * as Schema from "effect/Schema"

const Target = {
  engine: Schema.String,
  model: Schema.String,
}

/** The upstream answered with a non-2xx status. */
export class UpstreamStatus extends Schema.TaggedError<UpstreamStatus>()("UpstreamStatus", {
  ...Target,
  status: Schema.Int,
  /** Seconds from a `retry-after` header, when the upstream sent one. */
  retryAfterSeconds: Schema.optional(Schema.Number),
  detail: Schema.String,
}) {
  get kind(): string {
    return `upstream_${this.status}`
  }
  get retryable(): boolean {
    return this.status === 429 || this.status >= 500
  }
  override get message(): string {
    return `${this.engine} ${this.model}: upstream status ${this.status}: ${this.detail}`
  }
}

/** No answer (or no next chunk) within the call's timeout. */
export class UpstreamTimeout extends Schema.TaggedError<UpstreamTimeout>()("UpstreamTimeout", {
  ...Target,
  timeoutMillis: Schema.Number,
}) {
  get kind(): string {
    return "timeout"
  }
  get retryable(): boolean {
    return false
  }
  override get message(): string {
    return `${this.engine} ${this.model}: no answer within ${this.timeoutMillis} ms`
  }
}

/**
 * The upstream could not be reached, dropped the connection, or ended a stream before its
 * end-of-stream marker (so a truncated answer is never mistaken for a complete one).
 */
export class UpstreamConnection extends Schema.TaggedError<UpstreamConnection>()("UpstreamConnection", {
  ...Target,
  detail: Schema.String,
}) {
  get kind(): string {
    return "connection"
  }
  get retryable(): boolean {
    return true
  }
  override get message(): string {
    return `${this.engine} ${this.model}: connection failed: ${this.detail}`
  }
}

/** The upstream's safety filters blocked the answer (Vertex `safetyAttributes.blocked`). */
export class Blocked extends Schema.TaggedError<Blocked>()("Blocked", {
  ...Target,
  detail: Schema.String,
}) {
  get kind(): string {
    return "blocked"
  }
  get retryable(): boolean {
    return false
  }
  override get message(): string {
    return `${this.engine} ${this.model}: answer blocked: ${this.detail}`
  }
}

/** Every slot of the model's concurrency cap stayed busy for the whole bounded wait. */
export class ConcurrencyLimited extends Schema.TaggedError<ConcurrencyLimited>()("ConcurrencyLimited", {
  ...Target,
  limit: Schema.Int,
  waitedMillis: Schema.Number,
}) {
  get kind(): string {
    return "concurrency"
  }
  get retryable(): boolean {
    return false
  }
  override get message(): string {
    return `${this.engine} ${this.model}: all ${this.limit} slots busy for ${this.waitedMillis} ms`
  }
}

/** Any failure of a model call. */
export type ModelError = UpstreamStatus | UpstreamTimeout | UpstreamConnection | Blocked | ConcurrencyLimited

/** The `X-AIGW-Model-Error` values. */
export type ModelErrorKind = "timeout" | `upstream_${number}` | "connection" | "blocked" | "concurrency"

export const modelErrorKind = (error: ModelError): ModelErrorKind => error.kind as ModelErrorKind

/** A model name the catalog does not know for that provider and use case (a 422 for routes). */
export class UnknownModel extends Schema.TaggedError<UnknownModel>()("UnknownModel", {
  provider: Schema.String,
  useCase: Schema.String,
  /** The name asked for, or `undefined` when no default is configured for the use case. */
  model: Schema.optional(Schema.String),
}) {
  override get message(): string {
    return this.model === undefined
      ? `no default ${this.useCase} model is configured for provider ${this.provider}`
      : `unknown ${this.useCase} model ${JSON.stringify(this.model)} for provider ${this.provider}`
  }
}
