/**
 * Route scopes (SPEC §2): a route declares the scopes a token must grant, with the
 * `RequiredScopes` annotation on the endpoint (or on the whole group):
 *
 * ```ts
 * HttpApiEndpoint.post("completions", "/v2/code/completions", { ... })
 *   .annotate(RequiredScopes, ["code_suggestions"])
 * ```
 *
 * Every entry must be granted; an entry written `a|b` is granted by either scope.
 * An endpoint's annotation wins over its group's; without either, any valid token passes.
 */
import * as Context from "effect/Context"
import type * as HttpApiEndpoint from "effect/http-api/HttpApiEndpoint"
import type * as HttpApiGroup from "effect/http-api/HttpApiGroup"
import { hasScope, type IdentityShape } from "./Identity.ts"

export class RequiredScopes extends Context.Service<RequiredScopes, ReadonlyArray<string>>()(
  "aigw/auth/RequiredScopes",
) {}

/** One requirement per entry; each requirement lists the scopes that satisfy it. */
export type ScopeRequirement = ReadonlyArray<ReadonlyArray<string>>

/** Parses `["a|b", "c"]` into `[["a", "b"], ["c"]]`; blanks are ignored. */
export const parseScopeRequirement = (entries: ReadonlyArray<string>): ScopeRequirement =>
  entries
    .map((entry) => entry.split("|").map((scope) => scope.trim()).filter((scope) => scope !== ""))
    .filter((alternatives) => alternatives.length > 0)

/** Whether the identity satisfies every entry of the requirement. */
export const satisfiesScopes = (identity: IdentityShape, requirement: ScopeRequirement): boolean =>
  requirement.every((alternatives) => alternatives.some((scope) => hasScope(identity, scope)))

/** The requirement declared on an endpoint, else on its group, else none. */
export const scopeRequirementOf = (
  endpoint: HttpApiEndpoint.Top,
  group: HttpApiGroup.Top,
): ScopeRequirement => {
  const declared = Context.getOrUndefined(endpoint.annotations, RequiredScopes) ??
    Context.getOrUndefined(group.annotations, RequiredScopes) ?? []
  return parseScopeRequirement(declared)
}

/**
 * The routes where a token aigw issued itself (direct access) grants its scopes: the two
 * completion routes the Language Server calls. Elsewhere such a token grants no scope, so a
 * route that requires one answers 403 as for any missing scope.
 */
export const selfIssuedTokenPaths: ReadonlySet<string> = new Set(["/v2/completions", "/v2/code/completions"])

/** Whether a self-issued token grants its scopes on this endpoint. */
export const acceptsSelfIssuedTokens = (endpoint: HttpApiEndpoint.Top): boolean =>
  selfIssuedTokenPaths.has(endpoint.path)
