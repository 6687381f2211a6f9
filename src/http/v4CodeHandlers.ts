/**
 * Handlers of the v4 code suggestions API (v4Code.ts): the v3 use case (v3CodeHandlers.ts),
 * answered as v4 (suggestionResponses.ts).
 */
import * as Effect from "effect/Effect"
import * as HttpApiBuilder from "effect/http-api/HttpApiBuilder"
import { Api } from "./api.ts"
import { v4Response } from "./suggestionResponses.ts"
import { componentsHandler } from "./v3CodeHandlers.ts"

export const CodeSuggestionsV4Handlers = HttpApiBuilder.group(
  Api,
  "codeSuggestionsV4",
  Effect.fn(function* (handlers) {
    return handlers.handleAll({ suggestions: yield* componentsHandler(v4Response) })
  }),
)
