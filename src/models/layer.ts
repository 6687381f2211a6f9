/**
 * Everything a route needs from this folder, wired for production: TextModel, ChatModel and
 * ModelCatalog, over the providers (built once), Resilience, Vertex credentials and the
 * fetch-based HttpClient (Node and Deno). Requires AppConfig, Metrics and FileSystem (catalog file).
 */
import { Layer } from "effect"
import { FetchHttpClient } from "effect/http"
import { ModelCatalog } from "./catalog.ts"
import { ChatModel, TextModel } from "./modelCall.ts"
import { Providers } from "./Providers.ts"
import { Resilience } from "./resilience.ts"
import { VertexCredentials } from "./vertex/client.ts"

/** TextModel and ChatModel over given Providers and Resilience (tests swap these). */
export const modelServices = Layer.mergeAll(TextModel.layer, ChatModel.layer)

export const ModelsLayer = Layer.mergeAll(modelServices, ModelCatalog.layer).pipe(
  Layer.provide(Layer.mergeAll(
    Providers.layer.pipe(Layer.provide(Layer.mergeAll(VertexCredentials.layer, FetchHttpClient.layer))),
    Resilience.layer,
  )),
)
