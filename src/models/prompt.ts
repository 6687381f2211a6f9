/**
 * What a model is asked, independent of provider: either a text prompt (a prompt, or the code
 * before and after the cursor for fill-in-the-middle) or a conversation. Providers turn it into
 * their wire format; the conversions they share live here.
 */

export interface ChatMessage {
  readonly role: "system" | "user" | "assistant"
  readonly content: string
}

export interface TurnMessage {
  readonly role: "user" | "assistant"
  readonly content: string
}

export type Prompt =
  | {
    readonly _tag: "Text"
    /** The prompt, or the code before the cursor. */
    readonly prefix: string
    /** The code after the cursor, for fill-in-the-middle models. */
    readonly suffix?: string | undefined
  }
  | {
    readonly _tag: "Messages"
    readonly system?: string | undefined
    /** Alternating turns; a trailing assistant turn is a prefill the answer continues. */
    readonly messages: ReadonlyArray<TurnMessage>
  }

/** Splits `system` messages out of a conversation (joined, in order) from the turns. */
export const messagesPrompt = (
  messages: ReadonlyArray<ChatMessage>,
): Prompt & { readonly _tag: "Messages" } => {
  const system = messages.filter((message) => message.role === "system").map((message) => message.content)
  const turns = messages.filter((message): message is TurnMessage => message.role !== "system")
  return { _tag: "Messages", ...(system.length > 0 ? { system: system.join("\n\n") } : {}), messages: turns }
}

const turnPattern = /(?:^|\n\n)(Human|Assistant):/g

/**
 * A `\n\nHuman: … \n\nAssistant:` prompt as messages: text before the first turn becomes the
 * system prompt, and a trailing non-empty `Assistant:` turn stays as a prefill (an empty one is
 * dropped, the Messages API answers as the assistant anyway). A prompt without turn markers is
 * one user message.
 */
export const humanAssistantToMessages = (prompt: string): Prompt & { readonly _tag: "Messages" } => {
  const marks = [...prompt.matchAll(turnPattern)]
  if (marks.length === 0) return { _tag: "Messages", messages: [{ role: "user", content: prompt }] }
  const preamble = prompt.slice(0, marks[0]!.index).trim()
  const turns: Array<TurnMessage> = []
  marks.forEach((mark, index) => {
    const start = mark.index + mark[0].length
    const end = index + 1 < marks.length ? marks[index + 1]!.index : prompt.length
    const content = prompt.slice(start, end).trim()
    const role = mark[1] === "Human" ? "user" : "assistant"
    const previous = turns[turns.length - 1]
    // The Messages API needs alternating roles: consecutive turns of one role are merged.
    if (previous !== undefined && previous.role === role) {
      turns[turns.length - 1] = { role, content: `${previous.content}\n\n${content}` }
    } else {
      turns.push({ role, content })
    }
  })
  const last = turns[turns.length - 1]
  if (last !== undefined && last.role === "assistant" && last.content === "") turns.pop()
  return { _tag: "Messages", ...(preamble === "" ? {} : { system: preamble }), messages: turns }
}

/** A text prompt as a conversation, for models that only chat. */
export const textToMessages = (prompt: Prompt): Prompt & { readonly _tag: "Messages" } => {
  if (prompt._tag === "Messages") return prompt
  if (prompt.suffix === undefined || prompt.suffix === "") return humanAssistantToMessages(prompt.prefix)
  return {
    _tag: "Messages",
    system: "Complete the code at <cursor/>. Answer with only the code that goes there.",
    messages: [{ role: "user", content: `${prompt.prefix}<cursor/>${prompt.suffix}` }],
  }
}

/** A conversation as one `Human:/Assistant:` text, for text-only models. */
export const messagesToText = (prompt: Prompt): string => {
  if (prompt._tag === "Text") return prompt.prefix
  const turns = prompt.messages.map((message) =>
    `\n\n${message.role === "user" ? "Human" : "Assistant"}: ${message.content}`
  )
  const last = prompt.messages[prompt.messages.length - 1]
  const open = last !== undefined && last.role === "assistant" ? "" : "\n\nAssistant:"
  return `${prompt.system ?? ""}${turns.join("")}${open}`
}
