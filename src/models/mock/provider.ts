/**
 * The mock model (`AIGW_MOCK_MODEL_RESPONSES` / `AIGW_USE_FAKE_MODELS`): answers `echo: ` + the
 * JSON of what it was asked, and streams that text in whitespace-split chunks that concatenate
 * back to it. No upstream, no credentials.
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type { Provider, ProviderCall } from "../Provider.ts"

export const mockTextIdentity = { engine: "llm-provider-mocked", name: "llm-mocked" } as const
export const mockChatIdentity = { engine: "chat-model-provider-mocked", name: "chat-model-mocked" } as const

export const echo = (call: ProviderCall, stream: boolean): string => {
  const asked = call.prompt._tag === "Text"
    ? { prefix: call.prompt.prefix, suffix: call.prompt.suffix ?? "" }
    : {
      ...(call.prompt.system === undefined ? {} : { system: call.prompt.system }),
      messages: call.prompt.messages,
    }
  return `echo: ${JSON.stringify({ ...asked, stream, parameters: call.parameters ?? {} })}`
}

/** Each word with the whitespace after it, so the chunks join back to the text exactly. */
export const whitespaceChunks = (text: string): ReadonlyArray<string> => text.match(/\s+|\S+\s*/g) ?? []

export const mockProvider: Provider = {
  generate: (call) => Effect.succeed(echo(call, false)),
  stream: (call) => Stream.fromIterable(whitespaceChunks(echo(call, true))),
}
