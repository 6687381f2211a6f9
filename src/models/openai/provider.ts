/**
 * The OpenAI-compatible provider (vLLM, Ollama, LiteLLM, Fireworks, Mistral): JSON and SSE over
 * Effect's HttpClient, to the base URL and key of each catalog entry.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as HttpClient from "effect/http/HttpClient"
import { choiceText, completionsBody, OpenAiAnswer, openAiStyleStream } from "../openaiWire.ts"
import type { Provider, ProviderCall } from "../Provider.ts"
import { resolveParameters } from "../parameters.ts"
import { postJson, postSse } from "../upstreamHttp.ts"
import { endpointUrl, requestHeaders } from "./client.ts"
import { chatBody, openAiDefaults } from "./request.ts"

export const makeOpenAiProvider = (client: HttpClient.HttpClient): Provider => {
  const prepare = (call: ProviderCall, stream: boolean) => {
    const parameters = resolveParameters(call.entry, call.parameters, openAiDefaults)
    const chat = call.entry.api === "chat-completions"
    return {
      target: { engine: "openai-compatible", model: call.entry.name },
      url: endpointUrl(call.entry, chat ? "/chat/completions" : "/completions"),
      headers: requestHeaders(call.entry, stream),
      body: chat
        ? chatBody(call.entry, call.prompt, parameters, stream)
        : completionsBody(call.entry, call.prompt, parameters, stream),
    }
  }
  return {
    generate: (call) => {
      const { target, url, headers, body } = prepare(call, false)
      return Effect.map(postJson(client, target, url, headers, body, OpenAiAnswer), choiceText)
    },
    stream: (call) => {
      const { target, url, headers, body } = prepare(call, true)
      return openAiStyleStream(postSse(client, target, url, headers, body), target)
    },
  }
}

export class OpenAiProvider
  extends Context.Service<OpenAiProvider, Provider>()("aigw/models/openai/OpenAiProvider") {
  /** Requires an HttpClient (FetchHttpClient.layer in production). */
  static readonly layer = Layer.effect(
    OpenAiProvider,
    Effect.map(
      Effect.service(HttpClient.HttpClient),
      (client) => OpenAiProvider.of(makeOpenAiProvider(client)),
    ),
  )
}
