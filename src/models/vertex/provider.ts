/**
 * The Vertex AI provider: `:predict` and `:rawPredict` over Effect's HttpClient, Gemini through
 * @google/genai in Vertex mode (streaming with `streamGenerateContent`). The SDK is imported on
 * the first Gemini call.
 *
 * Predict-style models have no streaming API of the same shape, and answer in a few dozen
 * tokens: their stream is the whole answer as one chunk.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as HttpClient from "effect/http/HttpClient"
import { AppConfig } from "../../config/AppConfig.ts"
import type { Provider, ProviderCall } from "../Provider.ts"
import { UpstreamConnection } from "../errors.ts"
import { choiceText, OpenAiAnswer, openAiStyleStream } from "../openaiWire.ts"
import { resolveParameters } from "../parameters.ts"
import { fromSdkStream, requireEnd } from "../streaming.ts"
import {
  connectionError,
  decodeAnswer,
  parseRetryAfter,
  postJson,
  postSse,
  type Target,
} from "../upstreamHttp.ts"
import {
  type GenAi,
  loadGenAi,
  modelUrl,
  vertexBaseUrl,
  VertexCredentials,
  type VertexLocation,
} from "./client.ts"
import { geminiRequest, predictBody, rawPredictBody, vertexDefaults } from "./request.ts"
import { fromGenAiError, GeminiAnswer, geminiStep, PredictAnswer, predictText } from "./response.ts"

/**
 * The genai SDK's errors carry the status but not the headers; a per-call fetch keeps the
 * `retry-after` of a failed response for `Resilience`. It is the global fetch, so calls share
 * its keep-alive pool.
 */
const capturingFetch = () => {
  let retryAfter: number | undefined
  const fetch: typeof globalThis.fetch = (input, init) =>
    globalThis.fetch(input, init).then((response) => {
      if (!response.ok) retryAfter = parseRetryAfter(response.headers.get("retry-after"))
      return response
    })
  return { fetch, retryAfter: () => retryAfter }
}

/** A Gemini answer or chunk decoded and read: its text and end, or `Blocked`. */
const geminiChunk = (target: Target, response: unknown) =>
  Effect.flatMap(decodeAnswer(GeminiAnswer, target)(response), (answer) => {
    const step = geminiStep(target, answer)
    return "text" in step ? Effect.succeed(step) : Effect.fail(step)
  })

const geminiText = (target: Target, response: unknown) =>
  Effect.map(geminiChunk(target, response), (step) => step.text)

export const makeVertexProvider = (
  client: HttpClient.HttpClient,
  credentials: VertexCredentials["Service"],
  where: VertexLocation,
  /** The genai SDK and client, loaded once (see the layer). */
  genAi: Effect.Effect<GenAi, unknown>,
): Provider => {
  const authorization = (target: Target) =>
    Effect.mapError(credentials.token, (error) => connectionError(target, error.cause)).pipe(
      Effect.map((token) => ({ authorization: `Bearer ${token}` })),
    )

  const prepare = (call: ProviderCall) => ({
    target: { engine: "vertex-ai", model: call.entry.name },
    parameters: resolveParameters(call.entry, call.parameters, vertexDefaults),
  })

  const predict = (call: ProviderCall) => {
    const { target, parameters } = prepare(call)
    return Effect.flatMap(
      authorization(target),
      (headers) =>
        postJson(
          client,
          target,
          modelUrl(where, call.entry, "google", "predict"),
          headers,
          predictBody(call.entry, call.prompt, parameters),
          PredictAnswer,
        ).pipe(
          Effect.flatMap((answer) => {
            const text = predictText(target, answer)
            return typeof text === "string" ? Effect.succeed(text) : Effect.fail(text)
          }),
        ),
    )
  }

  const rawPredict = (call: ProviderCall, stream: boolean) => {
    const { target, parameters } = prepare(call)
    const publisher = call.entry.publisher ?? "mistralai"
    const url = modelUrl(where, call.entry, publisher, stream ? "streamRawPredict" : "rawPredict")
    const body = rawPredictBody(call.entry, call.prompt, parameters, stream)
    return { target, url, body }
  }

  /**
   * The genai client and the call's parameters, with this attempt's signal, token and capturing
   * fetch; a failed import of the SDK is a connection error of the call.
   */
  const gemini = (call: ProviderCall) => {
    const { target, parameters } = prepare(call)
    const request = geminiRequest(call.entry, call.prompt, parameters)
    const capture = capturingFetch()
    return Effect.all([
      genAi.pipe(Effect.mapError((cause) => connectionError(target, cause))),
      authorization(target),
    ])
      .pipe(Effect.map(([{ client, ApiError }, headers]) => ({
        target,
        client,
        onError: fromGenAiError(target, capture.retryAfter, ApiError),
        params: (signal: AbortSignal) => ({
          ...request,
          config: { ...request.config, abortSignal: signal, httpOptions: { headers, fetch: capture.fetch } },
        }),
      })))
  }

  return {
    generate: (call) => {
      switch (call.entry.api) {
        case "raw-predict": {
          const { target, url, body } = rawPredict(call, false)
          return Effect.flatMap(
            authorization(target),
            (headers) => Effect.map(postJson(client, target, url, headers, body, OpenAiAnswer), choiceText),
          )
        }
        case "gemini":
          return Effect.suspend(() =>
            Effect.flatMap(gemini(call), ({ target, client, onError, params }) =>
              Effect.tryPromise({
                try: (signal) => client.models.generateContent(params(signal)),
                catch: onError,
              }).pipe(Effect.flatMap((response) => geminiText(target, response))))
          )
        default:
          return predict(call)
      }
    },

    stream: (call) => {
      switch (call.entry.api) {
        case "raw-predict": {
          const { target, url, body } = rawPredict(call, true)
          return Stream.unwrap(
            Effect.map(authorization(target), (headers) =>
              openAiStyleStream(
                postSse(client, target, url, { ...headers, accept: "text/event-stream" }, body),
                target,
              )),
          )
        }
        case "gemini":
          return Stream.suspend(() =>
            Stream.unwrap(Effect.map(gemini(call), ({ target, client, onError, params }) => {
              const chunks = fromSdkStream(
                (signal) => client.models.generateContentStream(params(signal)),
                onError,
              ).pipe(Stream.mapEffect((response) => geminiChunk(target, response)))
              return requireEnd(
                chunks,
                (step) => step,
                () => new UpstreamConnection({ ...target, detail: "stream ended before its finish reason" }),
              )
            }))
          )
        default:
          return Stream.fromEffect(predict(call)).pipe(Stream.filter((text) => text !== ""))
      }
    },
  }
}

export class VertexProvider
  extends Context.Service<VertexProvider, Provider>()("aigw/models/vertex/VertexProvider") {
  /**
   * Requires AppConfig, an HttpClient and VertexCredentials. The genai client is built once, on
   * the first Gemini call: the import takes ~70 ms that one call waits for, and a gateway that
   * serves only Codestral or the `:predict` models on Vertex never holds the SDK (~5 MB of RSS
   * a worker).
   */
  static readonly layer = Layer.effect(
    VertexProvider,
    Effect.gen(function* () {
      const config = yield* AppConfig
      const where: VertexLocation = {
        baseUrl: vertexBaseUrl(config.vertexTextModel.endpoint),
        project: config.vertexTextModel.project ?? "",
        location: config.vertexTextModel.location,
      }
      const genAi = yield* Effect.cached(loadGenAi(where))
      return VertexProvider.of(makeVertexProvider(
        yield* HttpClient.HttpClient,
        yield* VertexCredentials,
        where,
        genAi,
      ))
    }),
  )
}
