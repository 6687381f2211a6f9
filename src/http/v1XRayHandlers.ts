/**
 * Handlers of the X-Ray API (v1XRay.ts): the package file prompt to XRay; failures as on the
 * chat route (errors.ts `chatFailureResponse`).
 */
import { Effect } from "effect"
import { HttpServerResponse } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
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
