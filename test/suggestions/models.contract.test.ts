/**
 * Code suggestions against misbehaving and real-shaped upstreams: model failures answered as the
 * original did (200, empty choices) plus `X-AIGW-Model-Error`, streams that fail before or after
 * their first chunk, truncation of 100,000-character files, the suffix experiment, and the
 * Anthropic completion prompt.
 */
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { countTokens } from "../../src/suggestions/tokens.ts"
import * as anthropic from "../support/fakes/anthropic.ts"
import { gate, hang, sendSse, status } from "../support/fakes/server.ts"
import * as vertex from "../support/fakes/vertex.ts"
import { type Gateway, legacyModels, startGateway } from "../support/gateway.ts"
import { freePort } from "../support/process.ts"

let gateway: Gateway | undefined
afterEach(async () => {
  await gateway?.close()
  gateway = undefined
})
const start = async (
  env: Record<string, string> = {},
) => (gateway = await startGateway({ ...legacyModels(), ...env }))

const catalogFile = (yaml: string) => {
  const file = join(mkdtempSync(join(tmpdir(), "aigw-catalog-")), "models.yaml")
  writeFileSync(file, yaml)
  return file
}

const body = (file: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  current_file: {
    file_name: "app.py",
    content_above_cursor: "def add(x, y):\n    return ",
    content_below_cursor: "\n",
    ...file,
  },
  ...extra,
})

const expectEmptyChoicesWith = async (response: Response, kind: string) => {
  expect(response.status).toBe(200)
  expect(response.headers.get("x-aigw-model-error")).toBe(kind)
  const answer = await response.json()
  expect(answer.choices).toEqual([])
  expect(answer.model).toEqual({ engine: "vertex-ai", name: "code-gecko@002", lang: "python" })
}

describe("model failures on code routes", () => {
  it("an upstream 5xx (after its retry) is 200 with empty choices and upstream_500", async () => {
    const { post, vertex: upstream } = await start()
    upstream.enqueue(status(500), status(500))
    await expectEmptyChoicesWith(await post("/v2/code/completions", body()), "upstream_500")
    expect(upstream.requests).toHaveLength(2)
  })

  it("a 4xx is not retried", async () => {
    const { post, vertex: upstream } = await start()
    upstream.enqueue(status(400))
    await expectEmptyChoicesWith(await post("/v2/code/completions", body()), "upstream_400")
    expect(upstream.requests).toHaveLength(1)
  })

  it("a timeout is 200 with empty choices and timeout", async () => {
    const { post, vertex: upstream } = await start({
      AIGW_MODELS__CATALOG_FILE: catalogFile("models:\n  code-gecko@002:\n    timeoutSeconds: 0.3\n"),
    })
    upstream.enqueue(hang)
    await expectEmptyChoicesWith(await post("/v2/code/completions", body()), "timeout")
  })

  it("an unreachable upstream is 200 with empty choices and connection", async () => {
    const { post } = await start({ AIGW_VERTEX_TEXT_MODEL__ENDPOINT: `http://127.0.0.1:${await freePort()}` })
    await expectEmptyChoicesWith(await post("/v2/code/completions", body()), "connection")
  })

  it("a prediction blocked by safety filters is 200 with empty choices and blocked", async () => {
    const { post, vertex: upstream } = await start()
    upstream.enqueue(vertex.predict("", { blocked: true }))
    await expectEmptyChoicesWith(await post("/v2/code/completions", body()), "blocked")
  })

  it("a full concurrency cap is 200 with empty choices and concurrency", async () => {
    const { post, vertex: upstream } = await start({
      AIGW_MODEL_ENGINE_CONCURRENCY_LIMITS: JSON.stringify({ "vertex-ai": { "code-gecko@002": 1 } }),
    })
    const release = gate()
    upstream.enqueue(async (_, res) => {
      await release.opened
      vertex.predict("first")(_, res)
    })
    const first = post("/v2/code/completions", body())
    // Once the upstream has the first call, that call holds the only slot.
    await upstream.received(1)
    await expectEmptyChoicesWith(await post("/v2/code/completions", body()), "concurrency")
    release.open()
    expect((await (await first).json()).choices[0].text).toBe("first")
  })

  it("logs the failure with the request's correlation id", async () => {
    const app = await start()
    app.vertex.enqueue(status(503), status(503))
    const response = await app.request("/v2/code/completions", {
      method: "POST",
      headers: { ...(await app.headers()), "x-request-id": "corr-model-1" },
      body: JSON.stringify(body()),
    })
    expect(response.headers.get("x-aigw-model-error")).toBe("upstream_503")
    expect(app.logs()).toContainEqual(
      expect.objectContaining({
        correlation_id: "corr-model-1",
        model_error: "upstream_503",
        level: "warning",
      }),
    )
  })

  it("an empty answer is 200 with empty choices and no error header", async () => {
    const { post, vertex: upstream } = await start()
    upstream.enqueue(vertex.predict(""))
    const response = await post("/v2/code/completions", body())
    expect(response.status).toBe(200)
    expect(response.headers.get("x-aigw-model-error")).toBeNull()
    expect((await response.json()).choices).toEqual([])
  })

  it("v3 answers an empty response with the error header", async () => {
    const { post, vertex: upstream } = await start()
    upstream.enqueue(status(500), status(500))
    const response = await post("/v3/code/completions", {
      prompt_components: [{
        type: "code_editor_completion",
        payload: { file_name: "a.py", content_above_cursor: "x", content_below_cursor: "" },
      }],
    })
    expect(response.status).toBe(200)
    expect(response.headers.get("x-aigw-model-error")).toBe("upstream_500")
    expect(await response.json()).toMatchObject({
      response: "",
      metadata: { model: { engine: "vertex-ai" } },
    })
  })
})

describe("streams", () => {
  const streamedGeneration = body({}, {
    prompt_version: 2,
    model_provider: "anthropic",
    model_name: "claude-2.1",
    prompt: "\n\nHuman: write it\n\nAssistant: <new_code>",
    stream: true,
  })

  it("a failure before the first chunk is the normal answer: 200, empty choices, error header", async () => {
    const { post, anthropic: upstream } = await start()
    upstream.enqueue(status(529), status(529))
    const response = await post("/v2/code/generations", streamedGeneration)
    expect(response.status).toBe(200)
    expect(response.headers.get("content-type")).toMatch(/application\/json/)
    expect(response.headers.get("x-aigw-model-error")).toBe("upstream_529")
    expect((await response.json()).choices).toEqual([])
  })

  it("a failure after the first chunk aborts the body instead of ending it cleanly", async () => {
    const { post, anthropic: upstream } = await start()
    const cut = gate()
    upstream.enqueue((_, res) =>
      sendSse(res, [anthropic.completionStream(["def reverse"])[0]!, cut], { end: "reset" })
    )
    const response = await post("/v2/code/generations", streamedGeneration)
    expect(response.status).toBe(200)
    const reader = response.body!.getReader()
    const first = await reader.read()
    expect(new TextDecoder().decode(first.value)).toBe("def reverse")
    cut.open()
    await expect((async () => {
      for (;;) if ((await reader.read()).done) return "ended cleanly"
    })()).rejects.toBeDefined()
  })

  it("Vertex streams too (the original ignored stream for Vertex)", async () => {
    const { post, vertex: upstream } = await start()
    upstream.enqueue(vertex.predict(" bool:\n    return True"))
    const response = await post("/v2/code/completions", body({}, { stream: true }))
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/)
    expect(await response.text()).toBe(" bool:\n    return True")
  })

  it("Gemini streams chunk by chunk", async () => {
    const { post, vertex: upstream } = await start({
      AIGW_MODELS__CATALOG_FILE: catalogFile(
        "models:\n  code-bison@002:\n    upstream: gemini-2.5-flash\n    api: gemini\n    contextTokens: 100000\n",
      ),
    })
    const second = gate()
    upstream.enqueue((_, res) => sendSse(res, vertex.geminiStream(["def ", second, "reverse(s):"])))
    const response = await post("/v2/code/generations", body({}, { stream: true }))
    const reader = response.body!.getReader()
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("def ")
    second.open()
    let rest = ""
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      rest += new TextDecoder().decode(chunk.value)
    }
    expect(rest).toBe("reverse(s):")
    expect(upstream.requests[0]!.url).toContain("gemini-2.5-flash:streamGenerateContent")
  })
})

describe("truncation of large files", () => {
  const line = (index: number) => `    total_${index} = compute("ünïcödé 🙂 注释", ${index})\n`
  const huge = (count: number) =>
    Array.from({ length: count }, (_, index) => line(index)).join("").slice(0, 100_000)

  it("keeps the code nearest the cursor of a 100,000-character file within code-gecko's 2,048 tokens", async () => {
    const { post, vertex: upstream } = await start()
    upstream.enqueue(vertex.predict("done"))
    const prefix = "def main():\n" + huge(2_400).slice(12)
    const suffix = huge(2_400)
    expect(prefix.length).toBe(100_000)
    const response = await post(
      "/v2/code/completions",
      body({ content_above_cursor: prefix, content_below_cursor: suffix }),
    )
    expect(response.status).toBe(200)
    const [instance] = upstream.requests[0]!.body.instances as Array<{ prefix: string; suffix: string }>
    expect(countTokens(instance!.prefix) + countTokens(instance!.suffix)).toBeLessThanOrEqual(2_048)
    expect(countTokens(instance!.suffix)).toBeLessThanOrEqual(Math.floor(2_048 * 0.07))
    expect(instance!.prefix.startsWith("# File: app.py (Python)\n")).toBe(true)
    expect(prefix.endsWith(instance!.prefix.split("\n").slice(-3).join("\n"))).toBe(true)
    expect(suffix.startsWith(instance!.suffix)).toBe(true)
    expect(instance!.prefix + instance!.suffix).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/)
  })

  it("fits a 100,000-character prefix into a Claude completion without a 500", async () => {
    const { post, anthropic: upstream } = await start()
    upstream.enqueue(anthropic.completion("x"))
    const response = await post(
      "/v2/code/completions",
      body({ content_above_cursor: huge(2_400) }, { model_provider: "anthropic" }),
    )
    expect(response.status).toBe(200)
    expect(upstream.requests[0]!.body.prompt).toContain(huge(2_400).slice(-200))
  })
})

describe("Anthropic completions with prompt_version 1", () => {
  it("send both sides of the cursor in an instruction the model can follow", async () => {
    const { post, anthropic: upstream } = await start()
    upstream.enqueue(anthropic.completion("x + y"))
    const response = await post(
      "/v2/code/completions",
      body({ content_below_cursor: "\n\nprint(add(1, 2))\n" }, {
        model_provider: "anthropic",
        model_name: "claude-instant-1.1",
      }),
    )
    expect(await response.json()).toMatchObject({
      model: { engine: "anthropic", name: "claude-instant-1.1", lang: "python" },
      choices: [{ text: "x + y" }],
    })
    const [upstreamRequest] = upstream.requests
    expect(upstreamRequest!.body.model).toBe("claude-instant-1.1")
    expect(upstreamRequest!.body.prompt).toContain(
      "def add(x, y):\n    return <cursor/>\n\nprint(add(1, 2))\n",
    )
    expect(upstreamRequest!.body.prompt).toContain("app.py")
  })
})

describe("the exp_truncate_suffix experiment", () => {
  const source = {
    content_above_cursor: "def outer(x):\n    if x:\n        value = x * 2\n        return ",
    content_below_cursor: "value\n    return 0\n\n\ndef unrelated():\n    pass\n",
  }

  it("variant 0 (the default) keeps the whole suffix and says so", async () => {
    const { post, vertex: upstream } = await start()
    upstream.enqueue(vertex.predict("x"))
    const answer = await (await post("/v2/code/completions", body(source))).json()
    expect(answer.experiments).toEqual([{ name: "exp_truncate_suffix", variant: 0 }])
    expect(upstream.requests[0]!.body.instances[0].suffix).toBe(source.content_below_cursor)
  })

  it("variant 1 keeps only the suffix inside the block around the cursor", async () => {
    const { post, vertex: upstream } = await start({ AIGW_EXPERIMENTS__TRUNCATE_SUFFIX_WEIGHTS: "[0, 1]" })
    upstream.enqueue(vertex.predict("x"))
    const answer = await (await post("/v2/code/completions", body(source))).json()
    expect(answer.experiments).toEqual([{ name: "exp_truncate_suffix", variant: 1 }])
    const suffix: string = upstream.requests[0]!.body.instances[0].suffix
    expect(source.content_below_cursor.startsWith(suffix)).toBe(true)
    expect(suffix.startsWith("value")).toBe(true)
    expect(suffix).not.toContain("unrelated")
  })
})
