/**
 * Everything a route needs from this folder, wired for production: TextModel, ChatModel and
 * ModelCatalog, over the providers (built once), Resilience and Vertex credentials. Requires
 * AppConfig, Metrics, FileSystem (catalog file) and the upstream HttpClient, which the runtime
 * chooses (src/net/upstreamClient.ts, provided by `makeRuntimeLayer`).
 */
import * as Layer from "effect/Layer"
import { ModelCatalog } from "./catalog.ts"
import { ChatModel, TextModel } from "./modelCall.ts"
import { Providers } from "./Providers.ts"
import { Resilience } from "./resilience.ts"
import { VertexCredentials } from "./vertex/client.ts"

/** TextModel and ChatModel over given Providers and Resilience (tests swap these). */
export const modelServices = Layer.mergeAll(TextModel.layer, ChatModel.layer)

export const ModelsLayer = Layer.mergeAll(modelServices, ModelCatalog.layer).pipe(
  Layer.provide(Layer.mergeAll(
    Providers.layer.pipe(Layer.provide(VertexCredentials.layer)),
    Resilience.layer,
  )),
)
