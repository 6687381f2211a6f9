/**
 * The Anthropic SDK clients, built once per layer (one per base URL: the configured one and any
 * catalog entry's own), so every call reuses the SDK's keep-alive connection pool.
 *
 * The SDK's own retries are off (`Resilience` retries, once, for every provider) and its timeout
 * is a backstop only: `Resilience` interrupts the call, which aborts the request.
 */
import Anthropic from "@anthropic-ai/sdk"
import type { ModelEntry } from "../catalog.ts"

/** Sent on every call, not frozen into a client (SPEC §11). */
export const anthropicVersion = "2023-06-01"

export const defaultAnthropicBaseUrl = "https://api.anthropic.com"

export interface AnthropicClients {
  readonly forEntry: (entry: ModelEntry) => Anthropic
}

export const makeAnthropicClients = (apiKey: string, baseUrl: string): AnthropicClients => {
  const clients = new Map<string, Anthropic>()
  const clientFor = (url: string) => {
    let client = clients.get(url)
    if (client === undefined) {
      // An explicit key (even empty) keeps the SDK from reading credentials from the environment
      // or config files: AppConfig is the only source of configuration.
      client = new Anthropic({ apiKey, baseURL: url, maxRetries: 0, timeout: 10 * 60_000 })
      clients.set(url, client)
    }
    return client
  }
  clientFor(baseUrl)
  return { forEntry: (entry) => clientFor(entry.baseUrl ?? baseUrl) }
}
