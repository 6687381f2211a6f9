/**
 * The answers of the authentication middleware (SPEC §2). Their bodies are exactly what the
 * original gateway sent and what GitLab and scripts match on: `{"error": "..."}` for 401 and
 * `{"detail": "Forbidden"}` for 403. `Schema.Error` encodes only the declared fields, so no
 * `_tag` reaches the body; the `_tag` getter still lets Effect code match them by tag.
 */
import * as Data from "effect/Data"
import * as Schema from "effect/Schema"

export const authMessages = {
  missingHeader: "No authorization header presented",
  invalidHeader: "Invalid authorization header",
  invalidAuthenticationType: "Invalid authentication token type - only OIDC is supported",
  invalidToken: "Forbidden by auth provider",
  headerMismatch: (header: string) => `Header mismatch '${header}'`,
} as const

/** 401: the request is not authenticated. */
export class Unauthenticated extends Schema.Error<Unauthenticated>("Unauthenticated")({
  error: Schema.String,
}, { httpApiStatus: 401, description: "Missing or invalid credentials" }) {
  get _tag(): "Unauthenticated" {
    return "Unauthenticated"
  }
}

/** 403: the token is valid but does not grant a scope the route requires. */
export class InsufficientScope extends Schema.Error<InsufficientScope>("InsufficientScope")({
  detail: Schema.Literal("Forbidden"),
}, { httpApiStatus: 403, description: "The token does not grant the scope this route requires" }) {
  get _tag(): "InsufficientScope" {
    return "InsufficientScope"
  }
}

/**
 * Why a token was refused: for debug logs only. Clients always get "Forbidden by auth
 * provider"; `reason` never contains the token.
 */
export class InvalidToken extends Data.TaggedError("InvalidToken")<{ readonly reason: string }> {}
