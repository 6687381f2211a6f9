/**
 * The one place where failures become HTTP answers (SPEC §8):
 * - unknown route 404 `{"detail":"Not Found"}`, known route with another method 405;
 * - request that does not match its schema, malformed JSON, empty body, wrong content type:
 *   422 `{"detail":[{"type","loc":["body",…],"msg"}]}` as FastAPI answered;
 * - body over the limit: 413;
 * - rate limit exceeded: 429 `{"detail":"Rate limit exceeded"}` with `Retry-After` and
 *   `X-RateLimit-Limit` / `X-RateLimit-Remaining`;
 * - anything unexpected: 500 `{"detail":"Internal Server Error"}`, logged with its stack.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as SchemaIssue from "effect/SchemaIssue"
import * as HttpServerError from "effect/http/HttpServerError"
import type * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import type { UnknownChatModel } from "../chat/ChatAgent.ts"
import type { ModelError } from "../models/errors.ts"
import type { RateLimited } from "../ratelimit/RateLimiter.ts"
import * as HttpApiError from "effect/http-api/HttpApiError"
import { pathOf } from "./requestPath.ts"

const { HttpApiPayloadTooLarge, HttpApiSchemaError } = HttpApiError

/** One entry of a 422 `detail` list. */
export interface ValidationDetail {
  readonly type: string
  readonly loc: ReadonlyArray<string | number>
  readonly msg: string
}

export const notFoundResponse = () => HttpServerResponse.jsonUnsafe({ detail: "Not Found" }, { status: 404 })

export const methodNotAllowedResponse = () =>
  HttpServerResponse.jsonUnsafe({ detail: "Method Not Allowed" }, { status: 405 })

export const payloadTooLargeResponse = (limit: number) =>
  HttpServerResponse.jsonUnsafe(
    { detail: `Request body is larger than the limit of ${limit} bytes` },
    { status: 413, headers: { connection: "close" } },
  )

/** The sender's bucket for the route family is empty (see middleware/rateLimit.ts). */
export const rateLimitedResponse = (error: RateLimited) =>
  HttpServerResponse.jsonUnsafe({ detail: "Rate limit exceeded" }, {
    status: 429,
    headers: {
      "retry-after": String(error.retryAfterSeconds),
      "x-ratelimit-limit": String(error.limit),
      "x-ratelimit-remaining": "0",
    },
  })

export const internalErrorResponse = () =>
  HttpServerResponse.jsonUnsafe({ detail: "Internal Server Error" }, { status: 500 })

export const validationErrorResponse = (details: ReadonlyArray<ValidationDetail>) =>
  HttpServerResponse.jsonUnsafe({ detail: details }, { status: 422 })

const locationOf = {
  Payload: "body",
  Params: "path",
  Query: "query",
  Headers: "header",
} as const

const issueType = (issue: SchemaIssue.Issue): string => {
  switch (issue._tag) {
    case "MissingKey":
      return "missing"
    case "UnexpectedKey":
      return "extra_forbidden"
    case "InvalidType":
      return "type_error"
    case "Pointer":
    case "Filter":
    case "Encoding":
      return issueType(issue.issue)
    default:
      return "value_error"
  }
}

const leafIssues = (
  issue: SchemaIssue.Issue,
  path: ReadonlyArray<PropertyKey>,
): Array<{ readonly issue: SchemaIssue.Issue; readonly path: ReadonlyArray<PropertyKey> }> => {
  switch (issue._tag) {
    case "Pointer":
      return leafIssues(issue.issue, [...path, ...issue.path])
    case "Composite":
      return issue.issues.flatMap((inner) => leafIssues(inner, path))
    case "AnyOf":
      // A payload is decoded as a union of its schemas; a member that matched the shape reports
      // its own issues. With none, the value was of the wrong type altogether.
      return issue.issues.length === 0
        ? [{ issue, path }]
        : issue.issues.flatMap((inner) => leafIssues(inner, path))
    default:
      return [{ issue, path }]
  }
}

const standardFormatter = SchemaIssue.makeFormatterStandardSchemaV1()

const isJsonSyntaxIssue = (issue: SchemaIssue.Issue) =>
  issue._tag === "InvalidValue" && issue.annotations?.message === "Expected a valid JSON body"

/** Turns a schema failure of one part of the request into FastAPI-style details. */
export const detailsFromSchemaError = (
  kind: keyof typeof locationOf,
  error: Schema.SchemaError,
  bodyIsEmpty: boolean,
): Array<ValidationDetail> => {
  const root = locationOf[kind]
  if (isJsonSyntaxIssue(error.issue)) {
    return [{ type: "json_invalid", loc: [root], msg: "JSON decode error: the body is not valid JSON" }]
  }
  if (kind === "Payload" && bodyIsEmpty) {
    return [{ type: "missing", loc: [root], msg: "Field required: the request needs a JSON body" }]
  }
  return leafIssues(error.issue, []).map(({ issue, path }) => {
    const loc = [root, ...path.map((key) => typeof key === "number" ? key : String(key))]
    const message = issue._tag === "MissingKey"
      ? "Field required"
      : standardFormatter(issue).issues.map((entry) => entry.message).join("; ")
    return { type: issueType(issue), loc, msg: message }
  })
}

/**
 * A body that matches its schema but asks for something impossible (a model the provider does
 * not serve, a prompt_version without its prompt): 422 naming the field, like schema failures.
 */
export const invalidFieldResponse = (field: ReadonlyArray<string | number>, message: string) =>
  validationErrorResponse([{ type: "value_error", loc: ["body", ...field], msg: message }])

const providerLabels: Readonly<Record<string, string>> = {
  anthropic: "Anthropic",
  "vertex-ai": "Vertex AI",
  "openai-compatible": "OpenAI-compatible",
}

/**
 * A model failure on the chat and X-Ray routes (SPEC §4.1): the original's bodies, with the
 * provider's name — status → 502, timeout → 504, connection → 502, full concurrency cap → 503.
 */
export const upstreamErrorResponse = (error: ModelError): HttpServerResponse.HttpServerResponse => {
  const label = providerLabels[error.engine] ?? error.engine
  switch (error._tag) {
    case "UpstreamTimeout":
      return HttpServerResponse.jsonUnsafe({ detail: `${label} API Timeout Error.` }, { status: 504 })
    case "UpstreamConnection":
      return HttpServerResponse.jsonUnsafe({ detail: `${label} API Connection Error.` }, { status: 502 })
    case "ConcurrencyLimited":
      return HttpServerResponse.jsonUnsafe(
        { detail: `${label} API Concurrency Limit Reached.` },
        { status: 503, headers: { "retry-after": "1" } },
      )
    case "UpstreamStatus":
    case "Blocked":
      return HttpServerResponse.jsonUnsafe({ detail: `${label} API Status Error.` }, { status: 502 })
  }
}

/** Where the model sits in a chat or X-Ray body, for 422 locations. */
const chatModelField = ["prompt_components", 0, "payload", "model"]

/** A failure of the chat and X-Ray use cases: an unknown model is 422, a model failure as above. */
export const chatFailureResponse = (error: UnknownChatModel | ModelError) =>
  error._tag === "UnknownChatModel"
    ? invalidFieldResponse(chatModelField, error.message)
    : upstreamErrorResponse(error)

/** The 422 for a body sent with a content type the route does not read. */
export const unsupportedContentTypeResponse = (contentType: string) =>
  validationErrorResponse([{
    type: "content_type",
    loc: ["body"],
    msg: `Unsupported content type ${JSON.stringify(contentType)}: send the body as application/json`,
  }])

export interface ErrorMappingOptions {
  /** Whether another method is served at this path (then 405, else 404). */
  readonly isKnownPath: (path: string) => boolean
  readonly maxBodyBytes: number
}

const isRouteNotFound = (error: unknown) =>
  HttpServerError.isHttpServerError(error) && error.reason._tag === "RouteNotFound"

const isBodyTooLarge = (error: unknown) =>
  HttpServerError.isHttpServerError(error) && error.reason._tag === "RequestParseError" &&
  error.reason.reason === "BodyTooLarge"

const isUnreadableBody = (error: unknown) =>
  HttpServerError.isHttpServerError(error) && error.reason._tag === "RequestParseError"

/**
 * Maps the cause of a failed request to its answer. Returns `undefined` for interruptions
 * (the client went away: there is nobody to answer).
 */
export const responseForCause = (
  cause: Cause.Cause<unknown>,
  request: HttpServerRequest.HttpServerRequest,
  options: ErrorMappingOptions,
): Effect.Effect<HttpServerResponse.HttpServerResponse | undefined> => {
  for (const reason of cause.reasons) {
    const error = reason._tag === "Fail" ? reason.error : reason._tag === "Die" ? reason.defect : undefined
    if (error === undefined) continue
    if (HttpServerResponse.isHttpServerResponse(error)) return Effect.succeed(error)
    if (isRouteNotFound(error)) {
      return Effect.succeed(
        options.isKnownPath(pathOf(request.url)) ? methodNotAllowedResponse() : notFoundResponse(),
      )
    }
    if (HttpApiSchemaError.is(error) && error.kind in locationOf) {
      const kind = error.kind as keyof typeof locationOf
      // The body was read (and cached) before it failed to decode.
      const bodyIsEmpty = kind === "Payload"
        ? Effect.match(request.text, { onFailure: () => false, onSuccess: (text) => text === "" })
        : Effect.succeed(false)
      return Effect.map(
        bodyIsEmpty,
        (empty) => validationErrorResponse(detailsFromSchemaError(kind, error.cause, empty)),
      )
    }
    if (HttpApiPayloadTooLarge.is(error) || isBodyTooLarge(error)) {
      return Effect.succeed(payloadTooLargeResponse(options.maxBodyBytes))
    }
    if (isUnreadableBody(error)) {
      return Effect.succeed(
        validationErrorResponse([{
          type: "body_unreadable",
          loc: ["body"],
          msg: "The request body could not be read",
        }]),
      )
    }
  }
  if (Cause.hasInterruptsOnly(cause)) return Effect.succeed(undefined)
  return Effect.logError("unhandled error while serving a request", cause).pipe(
    Effect.as(internalErrorResponse()),
  )
}
