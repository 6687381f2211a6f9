/**
 * The client address of requests that arrive through the web handler (Deno.serve, tests), which
 * carries no socket: the adapter passes the peer in `WebPeerAddress`, and this middleware puts
 * it on the request so `X-Forwarded-For` handling and the access log see it as on Node.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import type * as HttpServerResponse from "effect/http/HttpServerResponse"

export interface PeerAddress {
  readonly hostname: string
  readonly port: number
}

export const WebPeerAddress = Context.Reference<PeerAddress | undefined>("aigw/http/WebPeerAddress", {
  defaultValue: () => undefined,
})

export const webPeerAddress = <E, R>(
  app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>,
): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest> =>
  Effect.withFiber(
    (fiber) => {
      const peer = fiber.getRef(WebPeerAddress)
      return peer === undefined
        ? app
        : Effect.updateService(app, HttpServerRequest.HttpServerRequest, (request) =>
          Option.isSome(request.remoteAddress) ? request : request.modify({
            remoteAddress: Option.some<string>(peer.hostname),
            peerAddress: Option.some<string>(peer.hostname),
          }))
    },
  )
