/**
 * Anthropic request bodies: the Messages API, and the legacy Text Completions API for models
 * the catalog marks `text-completions`. Optional parameters are sent only when set; explicit
 * zeros and an empty stop list are sent as given.
 *
 * Current Claude models refuse two things older ones took (400): sampling parameters and an
 * assistant prefill. Their catalog entries say so (`samplingParameters: false`,
 * `prefill: false`); then no sampling parameter is sent, and a trailing assistant turn becomes
 * an instruction in the last user turn — the answer is asked to continue that text, and an
 * echo of it is dropped from the answer (`withoutEcho`).
 */
import type { ModelEntry } from "../catalog.ts"
import type { ProviderDefaults, ResolvedParameters } from "../parameters.ts"
import { messagesToText, type Prompt, textToMessages, type TurnMessage } from "../prompt.ts"

export const anthropicDefaults: ProviderDefaults = { temperature: 0.2, maxTokens: 2048 }

const optionalSampling = (parameters: ResolvedParameters) => ({
  ...(parameters.topP === undefined ? {} : { top_p: parameters.topP }),
  ...(parameters.topK === undefined ? {} : { top_k: parameters.topK }),
})

const optionalStops = (parameters: ResolvedParameters) =>
  parameters.stopSequences === undefined ? {} : { stop_sequences: [...parameters.stopSequences] }

/** The instruction that stands in for a prefill the model would refuse. */
export const continuationInstruction = (prefill: string) =>
  `Your answer continues the following text, which is already written; do not repeat it:\n${prefill}`

/**
 * The turns to send, and the prefill the answer continues (`""` when none). For a model that
 * refuses prefills, a trailing assistant turn moves into the last user turn as an instruction.
 */
export const conversationTurns = (
  entry: ModelEntry,
  messages: ReadonlyArray<TurnMessage>,
): { readonly turns: ReadonlyArray<TurnMessage>; readonly prefill: string } => {
  const last = messages[messages.length - 1]
  if (last === undefined || last.role !== "assistant") return { turns: messages, prefill: "" }
  if (entry.prefill !== false) return { turns: messages, prefill: last.content }
  const before = messages.slice(0, -1)
  const user = before[before.length - 1]
  const instruction = continuationInstruction(last.content)
  const turns: ReadonlyArray<TurnMessage> = user === undefined
    ? [{ role: "user", content: instruction }]
    : [...before.slice(0, -1), { role: "user", content: `${user.content}\n\n${instruction}` }]
  return { turns, prefill: last.content }
}

/** The Messages API body, and the prefill an echo of which `withoutEcho` drops. */
export const messagesRequest = (entry: ModelEntry, prompt: Prompt, parameters: ResolvedParameters) => {
  const conversation = textToMessages(prompt)
  const { turns, prefill } = conversationTurns(entry, conversation.messages)
  const sampling = entry.samplingParameters !== false
  const body = {
    model: entry.upstream,
    max_tokens: parameters.maxTokens,
    ...(sampling ? { temperature: parameters.temperature, ...optionalSampling(parameters) } : {}),
    ...(conversation.system === undefined ? {} : { system: conversation.system }),
    messages: turns.map((message) => ({ role: message.role, content: message.content })),
    ...optionalStops(parameters),
  }
  return { body, echo: entry.prefill === false ? prefill.trim() : "" }
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
  ...optionalStops(parameters),
})
