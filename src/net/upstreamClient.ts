/**
 * The HttpClient every model provider sends upstream with, chosen by the runtime. On Node: a
 * pooled keep-alive undici `Agent` driven through `dispatcher.request` (Effect's NodeHttpClient),
 * which skips the WHATWG Request/Response/stream objects of the global `fetch` — a quarter of the
 * CPU of a pass-through chat call went there. On Deno: `fetch`, which is native there and pools
 * keep-alive connections itself.
 *
 * The pool lives in the layer's scope: built once per process (per test app), closed with it.
 * Idle connections close after undici's keep-alive timeout (4 s, or the server's shorter hint).
 */
import { NodeHttpClient } from "@effect/platform-node"
import type { Layer } from "effect"
import { FetchHttpClient, type HttpClient } from "effect/http"

/** Node: undici's `Agent` (one keep-alive pool per origin), without fetch. */
export const layerNode: Layer.Layer<HttpClient.HttpClient> = NodeHttpClient.layerUndici

/** Deno (and any other runtime with a native `fetch`). */
export const layerFetch: Layer.Layer<HttpClient.HttpClient> = FetchHttpClient.layer

/** The one place that tells the runtimes apart, for callers that run on both (test harnesses). */
export const layerForRuntime: Layer.Layer<HttpClient.HttpClient> = "Deno" in globalThis
  ? layerFetch
  : layerNode
