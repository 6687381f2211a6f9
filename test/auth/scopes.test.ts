import { describe, expect, it } from "vitest"
import { debugIdentity, type IdentityShape } from "../../src/auth/Identity.ts"
import { parseScopeRequirement, satisfiesScopes } from "../../src/auth/scopes.ts"

const identity = (scopes: ReadonlyArray<string>): IdentityShape => ({
  subject: undefined,
  issuer: "https://gitlab.com",
  gitlabRealm: "saas",
  scopes: new Set(scopes),
  expiresAt: 0,
  gitlabInstanceId: undefined,
  duoSeatCount: undefined,
  isSelfIssued: false,
  isDebug: false,
})

describe("scope requirements", () => {
  it("parses `a|b` entries into alternatives and drops blanks", () => {
    expect(parseScopeRequirement(["code_suggestions", "duo_chat|documentation_search", " a | | b ", "", "|"]))
      .toEqual([["code_suggestions"], ["duo_chat", "documentation_search"], ["a", "b"]])
  })

  it.each([
    { required: [], granted: [], ok: true },
    { required: ["code_suggestions"], granted: ["code_suggestions"], ok: true },
    { required: ["code_suggestions"], granted: ["duo_chat"], ok: false },
    { required: ["code_suggestions"], granted: [], ok: false },
    { required: ["duo_chat|code_suggestions"], granted: ["code_suggestions"], ok: true },
    { required: ["duo_chat|code_suggestions"], granted: ["documentation_search"], ok: false },
    { required: ["code_suggestions", "duo_chat"], granted: ["code_suggestions"], ok: false },
    { required: ["code_suggestions", "duo_chat"], granted: ["duo_chat", "code_suggestions"], ok: true },
  ])("requires $required, token grants $granted: $ok", ({ required, granted, ok }) => {
    expect(satisfiesScopes(identity(granted), parseScopeRequirement(required))).toBe(ok)
  })

  it("grants the debug user every scope", () => {
    expect(satisfiesScopes(debugIdentity, parseScopeRequirement(["anything", "x|y"]))).toBe(true)
  })
})
