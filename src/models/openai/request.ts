/**
 * The `/v1/chat/completions` body and the OpenAI-compatible defaults; the `/v1/completions` body
 * is `completionsBody` of openaiWire.ts, shared with Codestral on Vertex.
 */
import type { ModelEntry } from "../catalog.ts"
import { sampling } from "../openaiWire.ts"
import type { ProviderDefaults, ResolvedParameters } from "../parameters.ts"
import { type Prompt, textToMessages } from "../prompt.ts"

export const openAiDefaults: ProviderDefaults = { temperature: 0.2, maxTokens: 2048 }

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
    ...sampling(parameters, { topK: true }),
    stream,
  }
}
