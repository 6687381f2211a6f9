/**
 * The request pipeline installed around the router as global middleware, outermost first:
 * client address (web adapters), trusted `X-Forwarded-For`, request id / timing / access log,
 * CORS (any origin, POST, any header), `/ai` prefix, and the mapping of every failure to its
 * HTTP answer.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as HttpMiddleware from "effect/http/HttpMiddleware"
import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import type * as IpNetwork from "effect/net/IpNetwork"
import type { AppConfigShape } from "../../config/AppConfig.ts"
import { aiPrefixRouting } from "./aiPrefix.ts"
import { webPeerAddress } from "./clientAddress.ts"
import { errorMapping } from "./errorMapping.ts"
import { requestContext } from "./requestContext.ts"

/**
 * The router's matching: paths are case-sensitive like the original's (`/V2/code/completions`
 * is 404), where the router's default would fold case.
 */
export const routerConfig = { caseSensitive: true } as const

const withoutTrailingSlash = (path: string) =>
  path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path

/**
 * `X-Forwarded-*` from the trusted proxies. Without any, or on a request without
 * `X-Forwarded-For`, there is nothing to believe, so the peer address is not even parsed.
 */
const believeForwarded = (trustedProxies: ReadonlyArray<IpNetwork.IpNetwork>) => {
  if (trustedProxies.length === 0) return <A, E, R>(app: Effect.Effect<A, E, R>) => app
  const believing = HttpMiddleware.xForwardedHeaders({ trustedProxies: [...trustedProxies] })
  return <E, R>(
    app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>,
  ): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest> => {
    const believed = believing(app)
    return Effect.flatMap(
      Effect.service(HttpServerRequest.HttpServerRequest),
      (request) => request.headers["x-forwarded-for"] === undefined ? app : believed,
    )
  }
}

/**
 * CORS for any origin: Effect's middleware answers the OPTIONS preflights; every other answer
 * gets `access-control-allow-origin: *` set on it here, the header Effect's middleware would add
 * through a per-request pre-response hook. errorMapping (inside) answers every failure, so every
 * response passes through this map.
 */
const anyOriginCors = () => {
  const preflight = HttpMiddleware.cors({ allowedMethods: ["POST"] })
  const allowAnyOrigin = (response: HttpServerResponse.HttpServerResponse) =>
    HttpServerResponse.setHeader(response, "access-control-allow-origin", "*")
  return <E, R>(
    app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>,
  ): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest> => {
    const answered = Effect.map(app, allowAnyOrigin)
    const preflighted = preflight(app)
    return Effect.withFiber((fiber) =>
      Context.getUnsafe(fiber.context, HttpServerRequest.HttpServerRequest).method === "OPTIONS"
        ? preflighted
        : answered
    )
  }
}

/** `paths`: every path served (without `/ai`), to answer 405 rather than 404 for them. */
export const requestPipeline = (config: AppConfigShape, paths: ReadonlySet<string>) => {
  const mapErrors = errorMapping({
    maxBodyBytes: config.http.maxBodyBytes,
    isKnownPath: (path) => paths.has(withoutTrailingSlash(path)),
  })
  const forwarded = believeForwarded(config.http.trustedProxies)
  const cors = anyOriginCors()
  const withRequestContext = requestContext(paths)
  // Declared as still failing with `unknown` only to satisfy the router's typing of global
  // middleware; errorMapping answers every failure.
  const pipeline = (
    app: Effect.Effect<HttpServerResponse.HttpServerResponse, unknown>,
  ): Effect.Effect<HttpServerResponse.HttpServerResponse, unknown, HttpServerRequest.HttpServerRequest> =>
    webPeerAddress(forwarded(withRequestContext(cors(aiPrefixRouting(mapErrors(app))))))
  return HttpRouter.middleware(pipeline, { global: true })
}
