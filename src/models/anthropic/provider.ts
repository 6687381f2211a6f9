/**
 * The Anthropic provider: the Messages API (JSON and SSE), or the legacy Text Completions API
 * (`/v1/complete`) for `text-completions` models, over the upstream HttpClient. For models that
 * refuse prefills, a repeat of the text the answer was asked to continue is dropped (echo.ts).
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as HttpClient from "effect/http/HttpClient"
import { AppConfig } from "../../config/AppConfig.ts"
import type { Provider, ProviderCall } from "../Provider.ts"
import { UpstreamConnection } from "../errors.ts"
import { resolveParameters } from "../parameters.ts"
import { postJson, postSseText } from "../upstreamHttp.ts"
import { type AnthropicEndpoint, defaultAnthropicBaseUrl, makeAnthropicEndpoint } from "./client.ts"
import { streamWithoutEcho, withoutEcho } from "./echo.ts"
import { anthropicDefaults, messagesRequest, textCompletionBody } from "./request.ts"
import {
  anthropicSteps,
  completionEvent,
  Message,
  messageEvent,
  MessageStreamEvent,
  messageText,
  TextCompletion,
} from "./response.ts"

export const makeAnthropicProvider = (
  client: HttpClient.HttpClient,
  endpoint: AnthropicEndpoint,
): Provider => {
  const prepare = (call: ProviderCall) => ({
    target: { engine: "anthropic", model: call.entry.name },
    parameters: resolveParameters(call.entry, call.parameters, anthropicDefaults),
  })

  return {
    generate: (call) => {
      const { target, parameters } = prepare(call)
      const headers = endpoint.headers(false)
      if (call.entry.api === "text-completions") {
        const url = endpoint.url(call.entry, "/v1/complete")
        const body = textCompletionBody(call.entry, call.prompt, parameters)
        return Effect.map(
          postJson(client, target, url, headers, body, TextCompletion),
          (answer) => answer.completion,
        )
      }
      const url = endpoint.url(call.entry, "/v1/messages")
      const { body, echo } = messagesRequest(call.entry, call.prompt, parameters)
      return Effect.map(
        postJson(client, target, url, headers, { ...body, stream: false }, Message),
        (message) => withoutEcho(messageText(message), echo),
      )
    },

    stream: (call) => {
      const { target, parameters } = prepare(call)
      const headers = endpoint.headers(true)
      const truncated = () =>
        new UpstreamConnection({ ...target, detail: "stream ended before its end event" })
      if (call.entry.api === "text-completions") {
        const url = endpoint.url(call.entry, "/v1/complete")
        const body = { ...textCompletionBody(call.entry, call.prompt, parameters), stream: true }
        const steps = anthropicSteps(TextCompletion, completionEvent, target)
        return postSseText(client, target, url, headers, body, steps, truncated)
      }
      const url = endpoint.url(call.entry, "/v1/messages")
      const { body, echo } = messagesRequest(call.entry, call.prompt, parameters)
      const steps = anthropicSteps(MessageStreamEvent, messageEvent, target)
      return streamWithoutEcho(
        postSseText(client, target, url, headers, { ...body, stream: true }, steps, truncated),
        echo,
      )
    },
  }
}

/** The Anthropic provider; requires AppConfig (key and base URL) and the upstream HttpClient. */
export class AnthropicProvider extends Context.Service<AnthropicProvider, Provider>()(
  "aigw/models/anthropic/AnthropicProvider",
) {
  static readonly layer = Layer.effect(
    AnthropicProvider,
    Effect.gen(function* () {
      const config = yield* AppConfig
      const client = yield* HttpClient.HttpClient
      return AnthropicProvider.of(makeAnthropicProvider(
        client,
        makeAnthropicEndpoint(
          config.anthropic.apiKey === undefined ? "" : Redacted.value(config.anthropic.apiKey),
          config.anthropic.baseUrl ?? defaultAnthropicBaseUrl,
        ),
      ))
    }),
  )
}
