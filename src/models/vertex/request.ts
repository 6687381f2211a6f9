/**
 * Vertex request bodies:
 * - `:predict` (code-gecko, code-bison, text-bison): one instance — `{prefix, suffix}` for code
 *   models, `{content}` for `text-*` models and conversations — and `parameters`;
 * - `:rawPredict` (Codestral): Mistral's FIM body, `prompt` + `suffix` (the OpenAI-style
 *   completions body of openaiWire.ts);
 * - Gemini: `contents` + `config` for @google/genai.
 * Optional parameters are sent only when set; explicit zeros and an empty stop list are sent.
 */
import type { ModelEntry } from "../catalog.ts"
import { completionsBody } from "../openaiWire.ts"
import type { ProviderDefaults, ResolvedParameters } from "../parameters.ts"
import { messagesToText, type Prompt, textToMessages } from "../prompt.ts"

export const vertexDefaults: ProviderDefaults = { temperature: 0.2, maxTokens: 2048, topP: 0.95, topK: 40 }

const predictInstance = (entry: ModelEntry, prompt: Prompt) => {
  if (prompt._tag === "Messages" || entry.upstream.startsWith("text-")) {
    return { content: messagesToText(prompt) }
  }
  return { prefix: prompt.prefix, ...(prompt.suffix === undefined ? {} : { suffix: prompt.suffix }) }
}

export const predictBody = (entry: ModelEntry, prompt: Prompt, parameters: ResolvedParameters) => ({
  instances: [predictInstance(entry, prompt)],
  parameters: {
    temperature: parameters.temperature,
    maxOutputTokens: parameters.maxTokens,
    ...(parameters.topP === undefined ? {} : { topP: parameters.topP }),
    ...(parameters.topK === undefined ? {} : { topK: parameters.topK }),
    ...(parameters.stopSequences === undefined ? {} : { stopSequences: [...parameters.stopSequences] }),
  },
})

/** Codestral's FIM body, without `top_k`. */
export const rawPredictBody = (
  entry: ModelEntry,
  prompt: Prompt,
  parameters: ResolvedParameters,
  stream: boolean,
) => completionsBody(entry, prompt, parameters, stream, { topK: false })

export const geminiRequest = (entry: ModelEntry, prompt: Prompt, parameters: ResolvedParameters) => {
  const conversation = textToMessages(prompt)
  return {
    model: entry.upstream,
    contents: conversation.messages.map((message) => ({
      role: message.role === "assistant" ? "model" : "user",
      parts: [{ text: message.content }],
    })),
    config: {
      ...(conversation.system === undefined ? {} : { systemInstruction: conversation.system }),
      temperature: parameters.temperature,
      maxOutputTokens: parameters.maxTokens,
      ...(parameters.topP === undefined ? {} : { topP: parameters.topP }),
      ...(parameters.topK === undefined ? {} : { topK: parameters.topK }),
      ...(parameters.stopSequences === undefined ? {} : { stopSequences: [...parameters.stopSequences] }),
    },
  }
}
