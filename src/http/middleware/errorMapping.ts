/**
 * Turns every failure of the app into its HTTP answer through errors.ts, so that no request
 * ends in an empty 500 or a dropped connection, and the process keeps serving.
 */
import * as ByteSize from "effect/ByteSize"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as HttpIncomingMessage from "effect/http/HttpIncomingMessage"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import {
  type ErrorMappingOptions,
  payloadTooLargeResponse,
  responseForCause,
  unsupportedContentTypeResponse,
} from "../errors.ts"

export const errorMapping = (options: ErrorMappingOptions) => {
  const maxBodySize = ByteSize.bytes(options.maxBodyBytes)
  return <E, R>(
    app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>,
  ): Effect.Effect<HttpServerResponse.HttpServerResponse, never, R | HttpServerRequest.HttpServerRequest> =>
    Effect.withFiber((fiber) => {
      const request = Context.getUnsafe(fiber.context, HttpServerRequest.HttpServerRequest)
      const declared = Number(request.headers["content-length"])
      if (declared > options.maxBodyBytes) {
        return Effect.succeed(payloadTooLargeResponse(options.maxBodyBytes))
      }
      // One continuation for both outcomes, where a map and a catch were two per request.
      const answered = Effect.matchCauseEffect(app, {
        // HttpApi answers 415 with plain text; the contract is a 422 that names the problem.
        onSuccess: (response) =>
          Effect.succeed(
            response.status === 415
              ? unsupportedContentTypeResponse(request.headers["content-type"] ?? "")
              : response,
          ),
        onFailure: (cause) =>
          Effect.map(
            responseForCause(cause, request, options),
            (response) => response ?? HttpServerResponse.empty({ status: 499 }),
          ),
      })
      return Effect.provideService(answered, HttpIncomingMessage.MaxBodySize, maxBodySize)
    })
}
