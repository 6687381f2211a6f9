/**
 * Text out of OpenAI-style answers and stream events (also what Codestral on Vertex
 * `:rawPredict` answers): `choices[0].text` for completions, `choices[0].message.content` for
 * chat, `choices[0].delta.content` in chat streams. A stream ends with `data: [DONE]` or a
 * `finish_reason`.
 */

interface Choice {
  readonly text?: unknown
  readonly message?: { readonly content?: unknown }
  readonly delta?: { readonly content?: unknown }
  readonly finish_reason?: unknown
}

const firstChoice = (json: unknown): Choice | undefined => {
  const choices = (json as { readonly choices?: unknown } | null)?.choices
  return Array.isArray(choices) ? choices[0] as Choice | undefined : undefined
}

const asText = (value: unknown): string | undefined => typeof value === "string" ? value : undefined

export const choiceText = (json: unknown): string => {
  const choice = firstChoice(json)
  return asText(choice?.text) ?? asText(choice?.message?.content) ?? asText(choice?.delta?.content) ?? ""
}

/** One parsed stream event: its text, and whether it ends the answer. */
export const choiceEvent = (json: unknown) => {
  const choice = firstChoice(json)
  const finish = choice?.finish_reason
  return { text: choiceText(json), end: finish !== undefined && finish !== null }
}

/** An `{"error": …}` object inside a stream, described for the failure. */
export const streamedError = (json: unknown): string | undefined => {
  const error = (json as { readonly error?: unknown } | null)?.error
  return error === undefined || error === null ? undefined : JSON.stringify(error).slice(0, 500)
}
