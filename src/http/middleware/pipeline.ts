/**
 * The request pipeline installed around the router as global middleware, outermost first:
 * client address (web adapters), trusted `X-Forwarded-For`, request id / timing / access log,
 * CORS (any origin, POST, any header), `/ai` prefix, and the mapping of every failure to its
 * HTTP answer.
 */
import type { Effect } from "effect"
import { HttpMiddleware, HttpRouter, type HttpServerRequest, type HttpServerResponse } from "effect/http"
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

/** `paths`: every path served (without `/ai`), to answer 405 rather than 404 for them. */
export const requestPipeline = (config: AppConfigShape, paths: ReadonlySet<string>) => {
  const mapErrors = errorMapping({
    maxBodyBytes: config.http.maxBodyBytes,
    isKnownPath: (path) => paths.has(withoutTrailingSlash(path)),
  })
  const forwarded = HttpMiddleware.xForwardedHeaders({ trustedProxies: [...config.http.trustedProxies] })
  const cors = HttpMiddleware.cors({ allowedMethods: ["POST"] })
  const withRequestContext = requestContext(paths)
  // Declared as still failing with `unknown` only to satisfy the router's typing of global
  // middleware; errorMapping answers every failure.
  const pipeline = (
    app: Effect.Effect<HttpServerResponse.HttpServerResponse, unknown>,
  ): Effect.Effect<HttpServerResponse.HttpServerResponse, unknown, HttpServerRequest.HttpServerRequest> =>
    webPeerAddress(forwarded(withRequestContext(cors(aiPrefixRouting(mapErrors(app))))))
  return HttpRouter.middleware(pipeline, { global: true })
}
