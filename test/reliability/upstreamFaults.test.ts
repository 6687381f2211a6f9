/**
 * Upstream faults under load, through the whole app in-process (real auth, real provider
 * clients, loopback fakes): storms of slow, refusing, resetting and rate-limiting upstreams and a
 * hung JWKS provider each get the documented answer (docs/models.md, docs/chat.md,
 * docs/auth.md), and leave nothing behind: every hung upstream connection is closed by the
 * gateway, and the process's active handles return to their baseline.
 *
 * Single faults are covered in test/suggestions/models.contract.test.ts and
 * test/chat/chat.contract.test.ts; these are the storms and the leak checks.
 */
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startTestApp } from "../support/app.ts"
import { eventually } from "../support/eventually.ts"
import * as anthropic from "../support/fakes/anthropic.ts"
import { gate, type Handler, sendSse, status } from "../support/fakes/server.ts"
import * as vertex from "../support/fakes/vertex.ts"
import { type Gateway, startGateway } from "../support/gateway.ts"
import { startOidcProvider } from "../support/oidcProvider.ts"
import { legacyCatalogWith } from "../support/legacyCatalog.ts"
import { freePort } from "../support/process.ts"
import { authHeaders, gitlabClaims } from "../support/tokens.ts"

/**
 * The original's models (the fakes answer in their shapes), with timeouts short enough for storms
 * of hung calls, long enough that a loaded machine does not turn a 429 or reset into a timeout.
 */
const catalogFile = () => {
  const file = join(mkdtempSync(join(tmpdir(), "aigw-faults-")), "models.json")
  const catalog = legacyCatalogWith({
    "claude-2.1": { timeoutSeconds: 1 },
    "code-gecko@002": { timeoutSeconds: 1 },
  })
  writeFileSync(file, JSON.stringify(catalog))
  return file
}

const completionBody = {
  current_file: {
    file_name: "app.py",
    content_above_cursor: "def add(x, y):\n    return ",
    content_below_cursor: "",
  },
}
const chatBody = (stream = false) => ({
  prompt_components: [{
    type: "prompt",
    metadata: { source: "GitLab EE", version: "17.0.0" },
    payload: { content: "\n\nHuman: hi\n\nAssistant:", provider: "anthropic", model: "claude-2.1" },
  }],
  stream,
})

/** Active handles of this process by kind (sockets, timers, …), as Node reports them. */
const activeResources = () => process.getActiveResourcesInfo().filter((kind) => kind !== "TTYWrap")

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A handler that never answers, counting the connections still open on the fake's side. */
const hangCounter = () => {
  let open = 0
  let seen = 0
  const handler: Handler = (_, res) => {
    open++
    seen++
    res.on("close", () => open--)
    return new Promise<void>((resolve) => res.on("close", () => resolve()))
  }
  return { handler, open: () => open, seen: () => seen }
}

const times = <A>(n: number, f: (i: number) => A): Array<A> => Array.from({ length: n }, (_, i) => f(i))

describe("upstream fault storms", () => {
  let gateway: Gateway
  let baseline: number

  beforeAll(async () => {
    gateway = await startGateway({ AIGW_MODELS__CATALOG_FILE: catalogFile(), AIGW_LOGGING__LEVEL: "error" })
    // Warm up: keys fetched, grammars loaded, one pooled connection per upstream.
    gateway.vertex.enqueue(vertex.predict("x + y"))
    gateway.anthropic.enqueue(anthropic.completion("hello"))
    expect((await gateway.post("/v2/code/completions", completionBody)).status).toBe(200)
    expect((await gateway.post("/v1/chat/agent", chatBody(), ["duo_chat"])).status).toBe(200)
    await sleep(200)
    baseline = activeResources().length
  })
  afterAll(async () => {
    await gateway.close()
  })

  it("a slow upstream: every request times out as documented and the gateway hangs up on the upstream", async () => {
    const slowVertex = hangCounter()
    const slowAnthropic = hangCounter()
    gateway.vertex.enqueue(...times(20, () => slowVertex.handler))
    gateway.anthropic.enqueue(...times(20, () => slowAnthropic.handler))
    const started = Date.now()
    const [code, chat] = await Promise.all([
      Promise.all(times(20, () => gateway.post("/v2/code/completions", completionBody))),
      Promise.all(times(20, () => gateway.post("/v1/chat/agent", chatBody(), ["duo_chat"]))),
    ])
    expect(Date.now() - started).toBeLessThan(5_000)
    for (const response of code) {
      expect(response.status).toBe(200)
      expect(response.headers.get("x-aigw-model-error")).toBe("timeout")
      expect((await response.json()).choices).toEqual([])
    }
    for (const response of chat) {
      expect(response.status).toBe(504)
      expect(await response.json()).toEqual({ detail: "Anthropic API Timeout Error." })
    }
    expect(slowVertex.seen()).toBe(20)
    expect(slowAnthropic.seen()).toBe(20)
    // The timed-out calls were aborted: the upstream sees its connections closed.
    await eventually(() => expect(slowVertex.open() + slowAnthropic.open()).toBe(0))
  })

  it("a 429 storm: one retry per request at most, then the documented failure", async () => {
    const vertexCalls = gateway.vertex.requests.length
    const anthropicCalls = gateway.anthropic.requests.length
    gateway.vertex.enqueue(...times(100, () => status(429)))
    gateway.anthropic.enqueue(
      ...times(100, () => status(429, {}, { type: "error", error: { type: "rate_limit_error" } })),
    )
    const [code, chat] = await Promise.all([
      Promise.all(times(40, () => gateway.post("/v2/code/completions", completionBody))),
      Promise.all(times(40, () => gateway.post("/v1/chat/agent", chatBody(), ["duo_chat"]))),
    ])
    for (const response of code) {
      expect(response.status).toBe(200)
      expect(response.headers.get("x-aigw-model-error")).toBe("upstream_429")
      expect((await response.json()).choices).toEqual([])
    }
    for (const response of chat) {
      expect(response.status).toBe(502)
      expect(await response.json()).toEqual({ detail: "Anthropic API Status Error." })
    }
    // No retry amplification: at most two calls per request.
    expect(gateway.vertex.requests.length - vertexCalls).toBeLessThanOrEqual(80)
    expect(gateway.anthropic.requests.length - anthropicCalls).toBeLessThanOrEqual(80)
    // Drop what the storm left in the queues.
    gateway.vertex.enqueue()
  })

  it("a 429 storm with a long retry-after is answered at once, without retrying", async () => {
    const fresh = await startGateway({ AIGW_LOGGING__LEVEL: "error" })
    try {
      fresh.anthropic.enqueue(...times(30, () => status(429, { "retry-after": "60" })))
      fresh.vertex.enqueue(...times(30, () => status(429, { "retry-after": "60" })))
      const started = Date.now()
      const [code, chat] = await Promise.all([
        Promise.all(times(30, () => fresh.post("/v2/code/completions", completionBody))),
        Promise.all(times(30, () => fresh.post("/v1/chat/agent", chatBody(), ["duo_chat"]))),
      ])
      expect(Date.now() - started).toBeLessThan(5_000)
      expect(code.map((response) => response.headers.get("x-aigw-model-error"))).toEqual(
        times(30, () => "upstream_429"),
      )
      expect(chat.map((response) => response.status)).toEqual(times(30, () => 502))
      expect(fresh.vertex.requests.length).toBe(30)
      expect(fresh.anthropic.requests.length).toBe(30)
    } finally {
      await fresh.close()
    }
  })

  it("streams reset mid-way: every client sees an aborted body and the gateway keeps serving", async () => {
    const cut = gate()
    gateway.anthropic.enqueue(
      ...times(
        20,
        (): Handler => (_, res) =>
          sendSse(res, [anthropic.completionStream(["Thought: "])[0]!, cut], { end: "reset" }),
      ),
    )
    const responses = await Promise.all(
      times(20, () => gateway.post("/v1/chat/agent", chatBody(true), ["duo_chat"])),
    )
    const readers = responses.map((response) => {
      expect(response.status).toBe(200)
      return response.body!.getReader()
    })
    for (const reader of readers) {
      expect(new TextDecoder().decode((await reader.read()).value)).toBe("Thought: ")
    }
    cut.open()
    const endings = await Promise.all(readers.map(async (reader) => {
      try {
        for (;;) if ((await reader.read()).done) return "ended cleanly"
      } catch {
        return "aborted"
      }
    }))
    expect(endings).toEqual(times(20, () => "aborted"))
    gateway.anthropic.enqueue(anthropic.completion("still here"))
    const after = await gateway.post("/v1/chat/agent", chatBody(), ["duo_chat"])
    expect((await after.json()).response).toBe("still here")
  })

  it("a refused connection storm is answered at once", async () => {
    const fresh = await startGateway({
      AIGW_LOGGING__LEVEL: "error",
      AIGW_ANTHROPIC__BASE_URL: `http://127.0.0.1:${await freePort()}`,
      AIGW_VERTEX_TEXT_MODEL__ENDPOINT: `http://127.0.0.1:${await freePort()}`,
    })
    try {
      const [code, chat] = await Promise.all([
        Promise.all(times(30, () => fresh.post("/v2/code/completions", completionBody))),
        Promise.all(times(30, () => fresh.post("/v1/chat/agent", chatBody(), ["duo_chat"]))),
      ])
      expect(code.map((response) => response.headers.get("x-aigw-model-error"))).toEqual(
        times(30, () => "connection"),
      )
      expect(chat.map((response) => response.status)).toEqual(times(30, () => 502))
      expect(await chat[0]!.json()).toEqual({ detail: "Anthropic API Connection Error." })
    } finally {
      await fresh.close()
    }
  })

  it("after the storms the process's active handles return to their baseline", async () => {
    gateway.vertex.enqueue(vertex.predict("x + y"))
    expect((await gateway.post("/v2/code/completions", completionBody)).status).toBe(200)
    // Idle keep-alive connections from the storms expire within a few seconds; anything left is a leak.
    await eventually(() => {
      const left = activeResources()
      expect(left.length, left.join(", ")).toBeLessThanOrEqual(baseline)
    }, { timeoutMs: 12_000, intervalMs: 100 })
  }, 20_000)
})

describe("a hung JWKS provider", () => {
  const body = JSON.stringify(completionBody)

  // With no keys yet, the first requests wait for the start-up fetch (10 s timeout); right after a
  // failed fetch their unknown token waits at most 2 s for another, then gets 401 JSON.
  it(
    "with no keys yet: 401 JSON for every request (never a hang), and keys load once it answers",
    async () => {
      const oidc = await startOidcProvider()
      oidc.setMode("hang")
      const app = startTestApp({
        AIGW_AUTH__BYPASS_EXTERNAL: "false",
        AIGW_GITLAB_URL: oidc.url,
        AIGW_CUSTOMER_PORTAL_URL: "",
        AIGW_MOCK_MODEL_RESPONSES: "true",
        AIGW_LOGGING__LEVEL: "critical",
      })
      try {
        const headers = {
          ...authHeaders(await oidc.sign(gitlabClaims(oidc.issuer), { kid: false })),
          "content-type": "application/json",
        }
        const started = Date.now()
        const answers = await Promise.all(
          times(20, () => app.request("/v2/code/completions", { method: "POST", headers, body })),
        )
        expect(Date.now() - started).toBeLessThan(13_500)
        for (const answer of answers) {
          expect(answer.status).toBe(401)
          expect(answer.headers.get("content-type")).toContain("application/json")
          expect(await answer.json()).toEqual({ error: "Forbidden by auth provider" })
        }
        // The 20 requests shared the fetches in flight.
        expect(oidc.hits.discovery).toBeLessThanOrEqual(2)
        oidc.setMode("up")
        await eventually(async () => {
          const response = await app.request("/v2/code/completions", { method: "POST", headers, body })
          await response.body?.cancel()
          expect(response.status).toBe(200)
        }, { timeoutMs: 25_000, intervalMs: 200 })
      } finally {
        await app.dispose()
        await oidc.close()
      }
    },
    40_000,
  )

  it("once keys are held, a provider that hangs does not slow requests down", async () => {
    const gateway = await startGateway({ AIGW_MOCK_MODEL_RESPONSES: "true", AIGW_LOGGING__LEVEL: "critical" })
    try {
      expect((await gateway.post("/v2/code/completions", completionBody)).status).toBe(200)
      gateway.oidc.setMode("hang")
      gateway.customersDot.setMode("hang")
      const started = Date.now()
      const answers = await Promise.all(times(20, () => gateway.post("/v2/code/completions", completionBody)))
      expect(answers.map((answer) => answer.status)).toEqual(times(20, () => 200))
      expect(Date.now() - started).toBeLessThan(3_000)
    } finally {
      await gateway.close()
    }
  })
})
