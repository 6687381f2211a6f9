/**
 * Rate limits with authentication on, real RS256 tokens from local OIDC providers: the bucket is
 * taken only once the token is verified, and belongs to the realm, instance and user the
 * verified request names.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Gateway, startGateway } from "../support/gateway.ts"

const completion = JSON.stringify({
  current_file: { file_name: "app.py", content_above_cursor: "def f(", content_below_cursor: "" },
})

let gateway: Gateway
beforeAll(async () => {
  gateway = await startGateway({
    AIGW_MOCK_MODEL_RESPONSES: "true",
    AIGW_RATE_LIMIT__ENABLED: "true",
    AIGW_RATE_LIMIT__REQUESTS_PER_MINUTE: "2",
  })
})
afterAll(() => gateway.close())

const complete = (headers: Record<string, string>) =>
  gateway.request("/v2/code/completions", { method: "POST", headers, body: completion })

describe("rate limits with verified tokens", () => {
  it("takes no token for a refused token, and limits each user of an instance apart", async () => {
    const alice = { ...(await gateway.headers()), "x-gitlab-global-user-id": "alice" }
    const forged = { ...alice, authorization: "Bearer not-a-token" }
    for (let i = 0; i < 3; i++) expect((await complete(forged)).status).toBe(401)
    expect((await complete(alice)).status).toBe(200)
    expect((await complete(alice)).status).toBe(200)
    const refused = await complete(alice)
    expect(refused.status).toBe(429)
    expect(await refused.json()).toEqual({ detail: "Rate limit exceeded" })
    expect((await complete({ ...alice, "x-gitlab-global-user-id": "bob" })).status).toBe(200)
  })

  it("keeps a self-managed instance's users apart from GitLab.com's with the same user id", async () => {
    const selfManaged = { ...(await gateway.selfManagedHeaders()), "x-gitlab-global-user-id": "carol" }
    const saas = { ...(await gateway.headers()), "x-gitlab-global-user-id": "carol" }
    expect((await complete(saas)).status).toBe(200)
    expect((await complete(saas)).status).toBe(200)
    expect((await complete(saas)).status).toBe(429)
    expect((await complete(selfManaged)).status).toBe(200)
  })
})
