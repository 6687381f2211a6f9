/**
 * Anthropic request bodies: the Messages API, and the legacy Text Completions API for models
 * the catalog marks `text-completions`. Optional parameters are sent only when set; explicit
 * zeros and an empty stop list are sent as given.
 */
import type { ModelEntry } from "../catalog.ts"
import type { ProviderDefaults, ResolvedParameters } from "../parameters.ts"
import { messagesToText, type Prompt, textToMessages } from "../prompt.ts"

export const anthropicDefaults: ProviderDefaults = { temperature: 0.2, maxTokens: 2048 }

const optionalSampling = (parameters: ResolvedParameters) => ({
  ...(parameters.topP === undefined ? {} : { top_p: parameters.topP }),
  ...(parameters.topK === undefined ? {} : { top_k: parameters.topK }),
  ...(parameters.stopSequences === undefined ? {} : { stop_sequences: [...parameters.stopSequences] }),
})

export const messagesBody = (entry: ModelEntry, prompt: Prompt, parameters: ResolvedParameters) => {
  const conversation = textToMessages(prompt)
  return {
    model: entry.upstream,
    max_tokens: parameters.maxTokens,
    temperature: parameters.temperature,
    ...(conversation.system === undefined ? {} : { system: conversation.system }),
    messages: conversation.messages.map((message) => ({ role: message.role, content: message.content })),
    ...optionalSampling(parameters),
  }
}

/** The legacy API needs a `\n\nHuman: … \n\nAssistant:` prompt; a bare prompt is wrapped in one. */
const completionPrompt = (prompt: Prompt): string => {
  const text = messagesToText(prompt)
  return /(^|\n\n)Human:/.test(text) ? text : `\n\nHuman: ${text}\n\nAssistant:`
}

export const textCompletionBody = (entry: ModelEntry, prompt: Prompt, parameters: ResolvedParameters) => ({
  model: entry.upstream,
  prompt: completionPrompt(prompt),
  max_tokens_to_sample: parameters.maxTokens,
  temperature: parameters.temperature,
  ...optionalSampling(parameters),
})
