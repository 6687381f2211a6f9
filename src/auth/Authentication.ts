/**
 * The authentication middleware as API groups declare it (SPEC §2). A protected group
 * attaches it after adding its endpoints, and each endpoint declares its scopes:
 *
 * ```ts
 * export class V2CodeApi extends HttpApiGroup.make("v2Code")
 *   .add(
 *     HttpApiEndpoint.post("completions", "/v2/code/completions", { ... })
 *       .annotate(RequiredScopes, ["code_suggestions"])
 *   )
 *   .middleware(Authentication)
 * {}
 * ```
 *
 * Handlers read the caller with `yield* Identity`. This module holds only the declaration, so
 * API definitions do not pull in the verification code; the implementations are in
 * middleware.ts.
 */
import * as HttpApiMiddleware from "effect/http-api/HttpApiMiddleware"
import { InsufficientScope, Unauthenticated } from "./errors.ts"
import type { Identity } from "./Identity.ts"

export class Authentication extends HttpApiMiddleware.Service<Authentication, {
  provides: Identity
}>()("aigw/auth/Authentication", {
  error: [Unauthenticated, InsufficientScope],
}) {}

export { RequiredScopes } from "./scopes.ts"
export { Identity } from "./Identity.ts"
