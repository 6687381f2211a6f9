/**
 * XRay: the Repository X-Ray libraries call (SPEC §4.2). The prompt (a `Human:`/`Assistant:`
 * string built by the X-Ray job) goes as it is to the model the request names — the original
 * ignored `payload.model` (SPEC §11).
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { UnknownChatModel } from "../chat/ChatAgent.ts"
import { ModelCatalog } from "../models/catalog.ts"
import type { ModelError } from "../models/errors.ts"
import { ChatModel } from "../models/modelCall.ts"

export interface XRayInput {
  readonly prompt: string
  readonly model: string
}

export class XRay extends Context.Service<XRay, {
  readonly libraries: (input: XRayInput) => Effect.Effect<string, UnknownChatModel | ModelError>
}>()("aigw/xray/XRay") {
  static readonly layer = Layer.effect(
    XRay,
    Effect.gen(function* () {
      const catalog = yield* ModelCatalog
      const chatModel = yield* ChatModel
      return XRay.of({
        libraries: (input) =>
          catalog.resolve("anthropic", "chat", input.model).pipe(
            Effect.mapError((error) => new UnknownChatModel({ field: ["model"], message: error.message })),
            Effect.flatMap((entry) => chatModel.generate({ model: entry, messages: input.prompt })),
            Effect.map((result) => result.text),
          ),
      })
    }),
  )
}
