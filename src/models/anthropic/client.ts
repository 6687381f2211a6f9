/**
 * Where an Anthropic call goes and what it carries: the configured base URL (or a catalog entry's
 * own), the key and the API version on every call. Calls are plain JSON and SSE over the
 * upstream HttpClient (undici's keep-alive pool on Node, fetch on Deno), the same as the other
 * providers; the SDK is not on this path (docs/decisions.md: the SDK cost a fifth of the CPU of
 * a pass-through chat call, in header building and WHATWG streams).
 */
import type { ModelEntry } from "../catalog.ts"

/** Sent on every call (SPEC §11). */
export const anthropicVersion = "2023-06-01"

export const defaultAnthropicBaseUrl = "https://api.anthropic.com"

export type AnthropicPath = "/v1/messages" | "/v1/complete"

export interface AnthropicEndpoint {
  readonly url: (entry: ModelEntry, path: AnthropicPath) => string
  readonly headers: (stream: boolean) => Record<string, string>
}

export const makeAnthropicEndpoint = (apiKey: string, baseUrl: string): AnthropicEndpoint => {
  const base = (url: string) => url.replace(/\/+$/, "")
  const configured = base(baseUrl)
  const common = { "x-api-key": apiKey, "anthropic-version": anthropicVersion }
  const json = { ...common, accept: "application/json" }
  const sse = { ...common, accept: "text/event-stream" }
  return {
    url: (entry, path) => `${entry.baseUrl === undefined ? configured : base(entry.baseUrl)}${path}`,
    headers: (stream) => stream ? sse : json,
  }
}
