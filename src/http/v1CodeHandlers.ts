/**
 * Handlers of the v1 code API (v1Code.ts): the checks of `user_access_token` in the original's
 * order (403 scope or self-issued token, then 400 per missing header, user, instance, realm),
 * then 503 when no signing key is configured.
 */
import * as Effect from "effect/Effect"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpApiBuilder from "effect/http-api/HttpApiBuilder"
import { hasScope, Identity } from "../auth/Identity.ts"
import { TokenAuthority } from "../auth/TokenAuthority.ts"
import { Api } from "./api.ts"
import {
  DirectAccessNotConfigured,
  directAccessNotConfigured,
  MissingTokenHeader,
  TokenCreationForbidden,
  tokenCreationForbidden,
} from "./v1Code.ts"

const requiredHeader = (headers: Readonly<Record<string, string | undefined>>, name: string) => {
  const value = headers[name.toLowerCase()]?.trim()
  return value === undefined || value === ""
    ? Effect.fail(new MissingTokenHeader({ detail: `Missing ${name} header` }))
    : Effect.succeed(value)
}

export const CodeV1Handlers = HttpApiBuilder.group(
  Api,
  "codeV1",
  Effect.fn(function* (handlers) {
    const authority = yield* TokenAuthority
    return handlers.handle("userAccessToken", () =>
      Effect.gen(function* () {
        const identity = yield* Identity
        const mayExchange = hasScope(identity, "code_suggestions") || hasScope(identity, "complete_code")
        if (!mayExchange || identity.isSelfIssued) {
          return yield* new TokenCreationForbidden({ detail: tokenCreationForbidden })
        }
        const { headers } = yield* HttpServerRequest.HttpServerRequest
        const globalUserId = yield* requiredHeader(headers, "X-Gitlab-Global-User-Id")
        const instanceId = yield* requiredHeader(headers, "X-Gitlab-Instance-Id")
        const realm = yield* requiredHeader(headers, "X-Gitlab-Realm")
        const issued = yield* authority.issue({
          globalUserId,
          instanceId,
          realm,
          duoSeatCount: identity.duoSeatCount,
        }).pipe(
          Effect.catchTag("SigningKeyMissing", () =>
            Effect.fail(new DirectAccessNotConfigured({ detail: directAccessNotConfigured }))),
        )
        return { token: issued.token, expires_at: issued.expiresAt }
      }))
  }),
)
