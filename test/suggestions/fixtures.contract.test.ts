/**
 * Every code suggestions fixture (bodies as GitLab and the Language Server send them) replayed
 * against the in-process app with real signed tokens and fake upstreams: the status and shape
 * GitLab relies on, and what reached the upstream.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import * as anthropic from "../support/fakes/anthropic.ts"
import { gate, sendSse } from "../support/fakes/server.ts"
import * as vertex from "../support/fakes/vertex.ts"
import {
  type Gateway,
  legacyModels,
  loadFixture,
  readChunks,
  readRest,
  startGateway,
  vertexProject,
} from "../support/gateway.ts"

let gateway: Gateway
beforeEach(async () => {
  gateway = await startGateway(legacyModels())
})
afterEach(async () => {
  await gateway.close()
})

const nowSeconds = () => Math.floor(Date.now() / 1000)

describe("fixture 01: v2 code completions from GitLab.com (Vertex, no model named)", () => {
  it("answers the v2 shape with code-gecko's completion, and sent the prompt of §3.5", async () => {
    const fixture = loadFixture("01-v2-code-completions-vertex-saas.json")
    // The fixture's model answer; post-processing cuts the new function it starts (§3.6).
    const completion = " bool:\n    return n % 2 == 0\n\n\ndef is_odd"
    gateway.vertex.enqueue(vertex.predict(completion))

    const response = await gateway.post(fixture.path, fixture.body)

    expect(response.status).toBe(200)
    const body = await response.json()
    expect(body).toEqual({
      id: "id",
      model: { engine: "vertex-ai", name: "code-gecko@002", lang: "python" },
      experiments: [{ name: "exp_truncate_suffix", variant: 0 }],
      object: "text_completion",
      created: expect.any(Number),
      choices: [{ text: " bool:\n    return n % 2 == 0", index: 0, finish_reason: "length" }],
    })
    expect(Math.abs(body.created - nowSeconds())).toBeLessThan(5)

    const [upstream] = gateway.vertex.requests
    expect(upstream!.url).toBe(
      `/v1/projects/${vertexProject}/locations/us-central1/publishers/google/models/code-gecko@002:predict`,
    )
    expect(upstream!.headers.authorization).toBe("Bearer ya29.test-token")
    const currentFile = fixture.body.current_file as { content_above_cursor: string }
    expect(upstream!.body.instances).toEqual([{
      prefix: `# File: test.py (Python)\n${currentFile.content_above_cursor}`,
      suffix: "",
    }])
    expect(upstream!.body.parameters).toMatchObject({
      temperature: 0.2,
      maxOutputTokens: 32,
      topP: 0.95,
      topK: 40,
    })
  })
})

describe("fixture 03: v2 code completions from a self-managed instance", () => {
  it("accepts the CustomersDot-signed token and answers as for GitLab.com", async () => {
    const fixture = loadFixture("03-v2-code-completions-self-managed.json")
    gateway.vertex.enqueue(vertex.predict(" bool:\n    return n % 2 == 0"))

    const response = await gateway.request(fixture.path, {
      method: "POST",
      headers: await gateway.selfManagedHeaders(),
      body: JSON.stringify(fixture.body),
    })

    expect(response.status).toBe(200)
    const body = await response.json()
    expect(body.model).toEqual({ engine: "vertex-ai", name: "code-gecko@002", lang: "python" })
    expect(body.choices).toEqual([{
      text: " bool:\n    return n % 2 == 0",
      index: 0,
      finish_reason: "length",
    }])
  })
})

describe("fixture 05: v2 code generations, Anthropic claude-2.1, prompt_version 2", () => {
  it("sends the client's prompt as it is with the generation stop sequences", async () => {
    const fixture = loadFixture("05-v2-code-generations-anthropic-claude21-prompt-v2.json")
    gateway.anthropic.enqueue(anthropic.completion("def fibonacci(n):\n    ..."))

    const response = await gateway.post(fixture.path, fixture.body)

    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({
      id: "id",
      model: { engine: "anthropic", name: "claude-2.1", lang: "python" },
      object: "text_completion",
      choices: [{ text: "def fibonacci(n):\n    ...", index: 0, finish_reason: "length" }],
    })
    const [upstream] = gateway.anthropic.requests
    expect(upstream!.url).toBe("/v1/complete")
    expect(upstream!.body).toMatchObject({
      model: "claude-2.1",
      prompt: fixture.body.prompt,
      stop_sequences: ["</new_code>", "\n\nHuman:"],
    })
    expect(upstream!.headers["anthropic-version"]).toBe("2023-06-01")
  })
})

describe("fixture 07: v2 code generations, Anthropic messages, prompt_version 3", () => {
  it("sends system prompt, messages and the assistant prefill to the Messages API of the named model", async () => {
    const fixture = loadFixture("07-v2-code-generations-anthropic-messages-prompt-v3.json")
    gateway.anthropic.enqueue(anthropic.message('fmt.Println("Hello, world!")'))

    const response = await gateway.post(fixture.path, fixture.body)

    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({
      model: { engine: "anthropic", name: "claude-3-sonnet-20240229", lang: "go" },
      choices: [{ text: 'fmt.Println("Hello, world!")', index: 0, finish_reason: "length" }],
    })
    const [upstream] = gateway.anthropic.requests
    expect(upstream!.url).toBe("/v1/messages")
    const prompt = fixture.body.prompt as Array<{ role: string; content: string }>
    expect(upstream!.body).toMatchObject({
      model: "claude-3-sonnet-20240229",
      system: prompt.find((message) => message.role === "system")!.content,
      messages: prompt.filter((message) => message.role !== "system"),
      stop_sequences: ["</new_code>"],
    })
    expect(upstream!.body.messages.at(-1)).toEqual({ role: "assistant", content: "<new_code>" })
  })
})

describe("fixture 09: streamed v2 code generations", () => {
  it("writes the model's chunks raw as they arrive, without framing", async () => {
    const fixture = loadFixture("09-v2-code-generations-streaming.json")
    const second = gate()
    gateway.anthropic.enqueue((_, res) =>
      sendSse(
        res,
        anthropic.completionStream(["def reverse", second, "_string(s):\n", "    return s[::-1]\n"]),
      )
    )

    const response = await gateway.post(fixture.path, fixture.body)

    expect(response.status).toBe(200)
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/)
    const reader = response.body!.getReader()
    const decoder = new TextDecoder()
    const first = await reader.read()
    // The first chunk arrived while the upstream still holds the second.
    expect(decoder.decode(first.value)).toBe("def reverse")
    second.open()
    const rest = await readRest(reader)
    expect(rest).toBe("_string(s):\n    return s[::-1]\n")
    expect(gateway.anthropic.requests[0]!.body).toMatchObject({ model: "claude-2.1", stream: true })
  })
})

describe("fixture 25: v3 code completions with one prompt component", () => {
  it("answers response and metadata, from the Vertex completion model", async () => {
    const fixture = loadFixture("25-v3-code-completions-prompt-components.json")
    gateway.vertex.enqueue(vertex.predict("def binary_search(items, target):"))

    const response = await gateway.post(fixture.path, fixture.body)

    expect(response.status).toBe(200)
    const body = await response.json()
    expect(body).toEqual({
      response: "def binary_search(items, target):",
      choices: [{ text: "def binary_search(items, target):", index: 0, finish_reason: "length" }],
      metadata: {
        model: { engine: "vertex-ai", name: "code-gecko@002", lang: "python" },
        timestamp: expect.any(Number),
      },
    })
    expect(gateway.vertex.requests[0]!.body.instances).toEqual([{
      prefix: "# File: main.py (Python)\n# Create a fast binary search\n",
      suffix: "\n",
    }])
  })
})

describe("every fixture under /ai", () => {
  it("is served the same under the /ai prefix", async () => {
    const fixture = loadFixture("01-v2-code-completions-vertex-saas.json")
    gateway.vertex.enqueue(vertex.predict("x"))
    const response = await gateway.post(`/ai${fixture.path}`, fixture.body)
    expect(response.status).toBe(200)
    expect((await response.json()).choices[0].text).toBe("x")
  })
})

describe("streamed chunks", () => {
  it("are read back whole by the harness", async () => {
    gateway.vertex.enqueue(vertex.predict("all at once"))
    const fixture = loadFixture("01-v2-code-completions-vertex-saas.json")
    const response = await gateway.post(fixture.path, { ...fixture.body, stream: true })
    expect((await readChunks(response)).join("")).toBe("all at once")
  })
})
