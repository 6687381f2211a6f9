/**
 * The HttpClient every model provider sends upstream with, chosen by the runtime. On Node: a
 * pooled keep-alive undici `Agent` driven through `dispatcher.request` (Effect's NodeHttpClient),
 * which skips the WHATWG Request/Response/stream objects of the global `fetch` — a quarter of the
 * CPU of a pass-through chat call went there (docs/decisions.md). On Deno: `fetch`, which is
 * native there and pools keep-alive connections itself.
 *
 * The pool lives in the layer's scope: built once per process (per test app), closed with it.
 * Idle connections close after undici's keep-alive timeout (4 s, or the server's shorter hint).
 * Connecting gives up after 5 s (SPEC §11); the whole call's timeout is `Resilience`'s.
 *
 * Client spans are off: nothing exports them, and their `traceparent`/`b3` headers would only
 * tell model providers about our request ids.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as HttpClient from "effect/http/HttpClient"

const untraced = (base: Layer.Layer<HttpClient.HttpClient>): Layer.Layer<HttpClient.HttpClient> =>
  Layer.effect(
    HttpClient.HttpClient,
    Effect.map(
      Effect.service(HttpClient.HttpClient),
      HttpClient.transformResponse(Effect.provideService(HttpClient.TracerDisabledWhen, () => true)),
    ),
  ).pipe(Layer.provide(base))

/**
 * Node: undici's `Agent` (one keep-alive pool per origin), without fetch. Built from `makeUndici`
 * rather than `layerUndiciOptions`: that layer merges its own context into every response effect,
 * a copy of the request fiber's whole context per upstream call (7–8 % of a chat request's
 * allocations), and the client needs nothing from it once it holds the dispatcher.
 */
export const layerNode: Layer.Layer<HttpClient.HttpClient> = untraced(
  Layer.effect(HttpClient.HttpClient, NodeHttpClient.makeUndici).pipe(
    Layer.provide(NodeHttpClient.layerDispatcherOptions({ connect: { timeout: 5_000 } })),
  ),
)

/** Deno (and any other runtime with a native `fetch`). */
export const layerFetch: Layer.Layer<HttpClient.HttpClient> = untraced(FetchHttpClient.layer)

/** The one place that tells the runtimes apart, for callers that run on both (test harnesses). */
export const layerForRuntime: Layer.Layer<HttpClient.HttpClient> = "Deno" in globalThis
  ? layerFetch
  : layerNode
