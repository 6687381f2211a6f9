/**
 * RequestFacts: what a request's code learns on the way — the model called and how long it took,
 * the detected language, the auth outcome — gathered for the one access log line written when
 * the request ends (SPEC §7). A mutable record per request, provided by the request-context
 * middleware; outside a request (tests of a use case) recording does nothing.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"

export interface RequestFactsShape {
  readonly fields: Record<string, unknown>
}

export const RequestFacts = Context.Reference<RequestFactsShape | undefined>(
  "aigw/observability/RequestFacts",
  {
    defaultValue: () => undefined,
  },
)

/** A fresh record for one request. */
export const makeRequestFacts = (): RequestFactsShape => ({ fields: {} })

/** Adds fields to the current request's access log line. */
export const recordFacts = (fields: Readonly<Record<string, unknown>>): Effect.Effect<void> =>
  Effect.withFiber((fiber) => {
    const facts = fiber.getRef(RequestFacts)
    if (facts !== undefined) Object.assign(facts.fields, fields)
    return Effect.void
  })
