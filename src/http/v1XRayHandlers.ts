/**
 * Handlers of the X-Ray API (v1XRay.ts): the package file prompt to XRay; failures as on the
 * chat route (errors.ts `chatFailureResponse`).
 */
import * as Effect from "effect/Effect"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as HttpApiBuilder from "effect/http-api/HttpApiBuilder"
import { XRay } from "../xray/XRay.ts"
import { Api } from "./api.ts"
import { chatFailureResponse } from "./errors.ts"

export const XRayHandlers = HttpApiBuilder.group(
  Api,
  "xray",
  Effect.fn(function* (handlers) {
    const xray = yield* XRay
    return handlers.handleAll({
      libraries: ({ payload }) => {
        const component = payload.prompt_components[0]!
        return xray.libraries({ prompt: component.payload.prompt, model: component.payload.model }).pipe(
          Effect.map((text) => HttpServerResponse.jsonUnsafe({ response: text })),
          Effect.catch((error) => Effect.succeed(chatFailureResponse(error))),
        )
      },
    })
  }),
)
