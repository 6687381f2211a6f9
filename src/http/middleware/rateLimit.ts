/**
 * Rate limits on the authenticated routes: wraps the Authentication middleware so the bucket is
 * taken right after the token is verified (the identity comes from its claims first), and before
 * the body is read or a model is called. A refusal is `RateLimited`, answered as errors.ts says
 * (429); successful answers carry `X-RateLimit-Limit` / `X-RateLimit-Remaining`.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import { Authentication } from "../../auth/Authentication.ts"
import { Identity } from "../../auth/Identity.ts"
import { rateLimitedResponse } from "../errors.ts"
import { bucketIdentity, familyOfPath } from "../../ratelimit/families.ts"
import { RateLimited, RateLimiter } from "../../ratelimit/RateLimiter.ts"

export const withRateLimits = <E, R>(
  authentication: Layer.Layer<Authentication, E, R>,
): Layer.Layer<Authentication, E, R | RateLimiter> =>
  Layer.effect(
    Authentication,
    Effect.gen(function* () {
      const authenticate = yield* Authentication
      const limiter = yield* RateLimiter
      if (!limiter.enabled) return authenticate
      return Authentication.of((httpEffect, options) => {
        const family = familyOfPath(options.endpoint.path)
        if (family === undefined) return authenticate(httpEffect, options)
        return Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
          const limited = Effect.gen(function* () {
            const identity = yield* Identity
            const verdict = yield* limiter.take(family, bucketIdentity(identity, request.headers))
            if (verdict === undefined) return yield* httpEffect
            if (!verdict.allowed) {
              return yield* new RateLimited({
                limit: verdict.limit,
                retryAfterSeconds: verdict.retryAfterSeconds,
              })
            }
            const response = yield* httpEffect
            return HttpServerResponse.setHeaders(response, {
              "x-ratelimit-limit": String(verdict.limit),
              "x-ratelimit-remaining": String(verdict.remaining),
            })
          })
          // Answered here: the API encodes only the failures its schemas declare.
          return authenticate(
            Effect.catchTag(
              limited,
              "RateLimited",
              (refusal) => Effect.succeed(rateLimitedResponse(refusal)),
            ),
            options,
          )
        })
      })
    }),
  ).pipe(Layer.provide(authentication))
