/**
 * Turns every failure of the app into its HTTP answer through errors.ts, so that no request
 * ends in an empty 500 or a dropped connection, and the process keeps serving.
 */
import { ByteSize, Effect } from "effect"
import { HttpIncomingMessage, HttpServerRequest, HttpServerResponse } from "effect/http"
import {
  type ErrorMappingOptions,
  payloadTooLargeResponse,
  responseForCause,
  unsupportedContentTypeResponse,
} from "../errors.ts"

export const errorMapping = (options: ErrorMappingOptions) =>
<E, R>(
  app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>,
): Effect.Effect<HttpServerResponse.HttpServerResponse, never, R | HttpServerRequest.HttpServerRequest> =>
  Effect.flatMap(Effect.service(HttpServerRequest.HttpServerRequest), (request) => {
    const declared = Number(request.headers["content-length"])
    if (declared > options.maxBodyBytes) return Effect.succeed(payloadTooLargeResponse(options.maxBodyBytes))
    return app.pipe(
      // HttpApi answers 415 with plain text; the contract is a 422 that names the problem.
      Effect.map((response) =>
        response.status === 415
          ? unsupportedContentTypeResponse(request.headers["content-type"] ?? "")
          : response
      ),
      Effect.catchCause((cause) =>
        Effect.map(
          responseForCause(cause, request, options),
          (response) => response ?? HttpServerResponse.empty({ status: 499 }),
        )
      ),
      Effect.provideService(HttpIncomingMessage.MaxBodySize, ByteSize.bytes(options.maxBodyBytes)),
    )
  })
