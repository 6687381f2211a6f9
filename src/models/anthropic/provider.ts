/**
 * The Anthropic provider: Messages API (JSON and SSE) through the SDK, or the legacy Text
 * Completions API (`/v1/complete`, which the SDK no longer wraps) for `text-completions` models.
 * For models that refuse prefills, a repeat of the text the answer was asked to continue is
 * dropped (echo.ts).
 */
import { Context, Effect, Layer, Redacted } from "effect"
import { AppConfig } from "../../config/AppConfig.ts"
import type { Provider, ProviderCall } from "../Provider.ts"
import { UpstreamConnection } from "../errors.ts"
import { resolveParameters } from "../parameters.ts"
import { fromSdkStream, requireEnd } from "../streaming.ts"
import {
  type AnthropicClients,
  anthropicVersion,
  defaultAnthropicBaseUrl,
  makeAnthropicClients,
} from "./client.ts"
import { streamWithoutEcho, withoutEcho } from "./echo.ts"
import { anthropicDefaults, messagesRequest, textCompletionBody } from "./request.ts"
import {
  completionEvent,
  fromAnthropicError,
  messageEvent,
  messageText,
  type TextCompletion,
} from "./response.ts"

const headers = { "anthropic-version": anthropicVersion }

export const makeAnthropicProvider = (clients: AnthropicClients): Provider => {
  const prepare = (call: ProviderCall) => ({
    client: clients.forEntry(call.entry),
    target: { engine: "anthropic", model: call.entry.name },
    parameters: resolveParameters(call.entry, call.parameters, anthropicDefaults),
  })

  return {
    generate: (call) => {
      const { client, target, parameters } = prepare(call)
      const onError = fromAnthropicError(target)
      if (call.entry.api === "text-completions") {
        const body = textCompletionBody(call.entry, call.prompt, parameters)
        return Effect.tryPromise({
          try: (signal) => client.post<TextCompletion>("/v1/complete", { body, headers, signal }),
          catch: onError,
        }).pipe(Effect.map((answer) => answer.completion ?? ""))
      }
      const { body, echo } = messagesRequest(call.entry, call.prompt, parameters)
      return Effect.tryPromise({
        try: (signal) => client.messages.create({ ...body, stream: false }, { headers, signal }),
        catch: onError,
      }).pipe(Effect.map((message) => withoutEcho(messageText(message), echo)))
    },

    stream: (call) => {
      const { client, target, parameters } = prepare(call)
      const onError = fromAnthropicError(target)
      const truncated = () =>
        new UpstreamConnection({ ...target, detail: "stream ended before its end event" })
      if (call.entry.api === "text-completions") {
        const body = { ...textCompletionBody(call.entry, call.prompt, parameters), stream: true }
        const events = fromSdkStream<TextCompletion>(
          (signal) =>
            client.post<AsyncIterable<TextCompletion>>("/v1/complete", {
              body,
              headers,
              signal,
              stream: true,
            }),
          onError,
        )
        return requireEnd(events, completionEvent, truncated)
      }
      const { body, echo } = messagesRequest(call.entry, call.prompt, parameters)
      const events = fromSdkStream(
        (signal) => client.messages.create({ ...body, stream: true }, { headers, signal }),
        onError,
      )
      return streamWithoutEcho(requireEnd(events, messageEvent, truncated), echo)
    },
  }
}

/** The Anthropic provider, its SDK clients built once; requires AppConfig (key and base URL). */
export class AnthropicProvider extends Context.Service<AnthropicProvider, Provider>()(
  "aigw/models/anthropic/AnthropicProvider",
) {
  static readonly layer = Layer.effect(
    AnthropicProvider,
    Effect.map(
      Effect.service(AppConfig),
      (config) =>
        AnthropicProvider.of(makeAnthropicProvider(makeAnthropicClients(
          config.anthropic.apiKey === undefined ? "" : Redacted.value(config.anthropic.apiKey),
          config.anthropic.baseUrl ?? defaultAnthropicBaseUrl,
        ))),
    ),
  )
}
