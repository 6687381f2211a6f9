/**
 * OpenAI-compatible request bodies: `/v1/completions` with `prompt` + `suffix` (fill in the
 * middle) and `/v1/chat/completions`. Optional parameters are sent only when set (`top_k` is an
 * extension vLLM, Ollama and Fireworks accept); explicit zeros and an empty stop list are sent.
 */
import type { ModelEntry } from "../catalog.ts"
import type { ProviderDefaults, ResolvedParameters } from "../parameters.ts"
import { messagesToText, type Prompt, textToMessages } from "../prompt.ts"

export const openAiDefaults: ProviderDefaults = { temperature: 0.2, maxTokens: 2048 }

const sampling = (parameters: ResolvedParameters) => ({
  max_tokens: parameters.maxTokens,
  temperature: parameters.temperature,
  ...(parameters.topP === undefined ? {} : { top_p: parameters.topP }),
  ...(parameters.topK === undefined ? {} : { top_k: parameters.topK }),
  ...(parameters.stopSequences === undefined ? {} : { stop: [...parameters.stopSequences] }),
})

export const completionsBody = (
  entry: ModelEntry,
  prompt: Prompt,
  parameters: ResolvedParameters,
  stream: boolean,
) => ({
  model: entry.upstream,
  prompt: messagesToText(prompt),
  ...(prompt._tag === "Text" && prompt.suffix !== undefined ? { suffix: prompt.suffix } : {}),
  ...sampling(parameters),
  stream,
})

export const chatBody = (
  entry: ModelEntry,
  prompt: Prompt,
  parameters: ResolvedParameters,
  stream: boolean,
) => {
  const conversation = textToMessages(prompt)
  return {
    model: entry.upstream,
    messages: [
      ...(conversation.system === undefined ? [] : [{ role: "system", content: conversation.system }]),
      ...conversation.messages.map((message) => ({ role: message.role, content: message.content })),
    ],
    ...sampling(parameters),
    stream,
  }
}
