/**
 * The OpenAI-compatible provider (vLLM, Ollama, LiteLLM, Fireworks, Mistral): JSON and SSE over
 * Effect's HttpClient, to the base URL and key of each catalog entry.
 */
import { Context, Effect, Layer, Stream } from "effect"
import type { Sse } from "effect/encoding"
import { HttpClient } from "effect/http"
import type { Provider, ProviderCall } from "../Provider.ts"
import { type ModelError, UpstreamConnection } from "../errors.ts"
import { resolveParameters } from "../parameters.ts"
import { requireEnd } from "../streaming.ts"
import { parseEventJson, postJson, postSse, type Target } from "../upstreamHttp.ts"
import { endpointUrl, requestHeaders } from "./client.ts"
import { chatBody, completionsBody, openAiDefaults } from "./request.ts"
import { choiceEvent, choiceText, streamedError } from "./response.ts"

/** An OpenAI-style SSE answer as text chunks; shared with Vertex `:streamRawPredict`. */
export const openAiStyleStream = (
  events: Stream.Stream<Sse.Event, ModelError>,
  target: Target,
): Stream.Stream<string, ModelError> => {
  const parsed = Stream.suspend(() => {
    // Servers may keep the connection open after `[DONE]`; stop reading there.
    let done = false
    return events.pipe(
      Stream.mapEffect((event) => {
        if (event.data.trim() === "[DONE]") {
          done = true
          return Effect.succeed({ text: "", end: true })
        }
        return Effect.flatMap(parseEventJson(target, event), (json) => {
          const error = streamedError(json)
          return error === undefined
            ? Effect.succeed(choiceEvent(json))
            : Effect.fail(new UpstreamConnection({ ...target, detail: error }))
        })
      }),
      Stream.takeUntil(() => done),
    )
  })
  return requireEnd(
    parsed,
    (step) => step,
    () => new UpstreamConnection({ ...target, detail: "stream ended before its end event" }),
  )
}

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
      return Effect.map(postJson(client, target, url, headers, body), choiceText)
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
