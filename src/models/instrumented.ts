/**
 * TextModel and ChatModel with their calls measured (observability/modelCallMetrics.ts): every
 * model, mocks included, so dashboards and access logs show what was called.
 */
import type { MetricsShape } from "../observability/Metrics.ts"
import { instrumentCall, instrumentStream } from "../observability/modelCallMetrics.ts"
import type { ChatModelShape, ChatRequest } from "./ChatModel.ts"
import type { TextModelShape, TextRequest } from "./TextModel.ts"

const textCharacters = (request: TextRequest) => request.prefix.length + (request.suffix?.length ?? 0)

const chatCharacters = (request: ChatRequest) =>
  typeof request.messages === "string"
    ? request.messages.length
    : request.messages.reduce((total, message) => total + message.content.length, 0)

export const instrumentTextModel = (model: TextModelShape, metrics: MetricsShape): TextModelShape => {
  const labels = (request: TextRequest) => {
    const identity = model.identify(request.model)
    return {
      engine: identity.engine,
      model: identity.name,
      featureCategory: "code_suggestions",
      promptCharacters: textCharacters(request),
    }
  }
  return {
    generate: (request) => instrumentCall(metrics, labels(request), model.generate(request)),
    stream: (request) => instrumentStream(metrics, labels(request), model.stream(request)),
    identify: model.identify,
  }
}

export const instrumentChatModel = (model: ChatModelShape, metrics: MetricsShape): ChatModelShape => {
  const labels = (request: ChatRequest) => {
    const identity = model.identify(request.model)
    return {
      engine: identity.engine,
      model: identity.name,
      featureCategory: request.featureCategory ?? "duo_chat",
      promptCharacters: chatCharacters(request),
    }
  }
  return {
    generate: (request) => instrumentCall(metrics, labels(request), model.generate(request)),
    stream: (request) => instrumentStream(metrics, labels(request), model.stream(request)),
    identify: model.identify,
  }
}
