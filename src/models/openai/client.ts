/**
 * Where an OpenAI-compatible model lives: its catalog entry's base URL (as the OpenAI SDK takes
 * it, usually ending in `/v1`) and key. Calls go through the layer's shared HttpClient, so one
 * keep-alive pool serves every server.
 */
import * as Redacted from "effect/Redacted"
import type { ModelEntry } from "../catalog.ts"

export const endpointUrl = (entry: ModelEntry, path: "/completions" | "/chat/completions"): string =>
  `${(entry.baseUrl ?? "").replace(/\/+$/, "")}${path}`

export const requestHeaders = (entry: ModelEntry, stream: boolean): Record<string, string> => ({
  ...(entry.apiKey === undefined ? {} : { authorization: `Bearer ${Redacted.value(entry.apiKey)}` }),
  accept: stream ? "text/event-stream" : "application/json",
})
