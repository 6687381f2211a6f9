/**
 * The prompt for a prompt_version 1 generation (SPEC §3.5): aigw's own template stating the
 * language and file, giving the code above and below the cursor (cut to the model's budget,
 * nearest the cursor, with the file's imports and signatures when the cut lost them), and asking
 * for the new code only, inside `<new_code>` tags.
 *
 * For Anthropic the prompt is a `Human:`/`Assistant:` exchange whose assistant turn is prefilled
 * with `<new_code>`, so the answer is the code and stops at `</new_code>` (a stop sequence).
 */
import type { CodeContext } from "../codeContext.ts"
import { buildCompletionPrompt, type CompletionPromptInput } from "./completion.ts"

export const newCodeOpen = "<new_code>"
export const newCodeClose = "</new_code>"

/** The same facts as a completion prompt: the file, the code around the cursor, the budget. */
export type GenerationPromptInput = CompletionPromptInput

export interface GenerationInstruction {
  /** The instruction text, without provider framing. */
  readonly text: string
  /** The context read from the dropped code, when the code did not fit (for metrics). */
  readonly context: CodeContext | undefined
}

export const buildGenerationInstruction = (input: GenerationPromptInput): GenerationInstruction => {
  // The template itself takes about 200 tokens of the budget.
  const code = buildCompletionPrompt({
    ...input,
    language: undefined,
    budgetTokens: input.budgetTokens - 200,
  })
  const languageName = input.language?.name ?? "the file's"
  const text = [
    `You are an expert ${languageName} programmer. New code is needed in the file ${input.fileName}, at the`,
    "position marked <cursor/> in the code below.",
    "",
    "<existing_code>",
    `${code.prefix}<cursor/>${code.suffix}`,
    "</existing_code>",
    "",
    "Read the existing code first. If the comment just before the cursor is an instruction, write the code",
    "it asks for; otherwise write the code most likely to come next. Use the names, style and indentation",
    `of the existing code, and write valid ${languageName} code only. Answer with the new code alone,`,
    `between ${newCodeOpen} and ${newCodeClose}, without repeating the existing code or explaining it.`,
  ].join("\n")
  return { text, context: code.context }
}

/** The Anthropic text prompt, prefilled so the answer is the code. */
export const anthropicGenerationPrompt = (instruction: string): string =>
  `\n\nHuman: ${instruction}\n\nAssistant: ${newCodeOpen}`
