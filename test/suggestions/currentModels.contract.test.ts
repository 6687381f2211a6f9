/**
 * The built-in catalog through the whole app and the real SDKs against loopback fakes: every
 * model name GitLab 16.9–17.x sends reaches a current upstream model over a current API —
 * Claude names the Messages API (no sampling parameters, no prefill), Vertex completion names
 * Codestral's `:rawPredict` (fill in the middle), Vertex generation names Gemini.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { continuationInstruction } from "../../src/models/anthropic/request.ts"
import * as anthropic from "../support/fakes/anthropic.ts"
import { type Handler, sendJson, sendSse } from "../support/fakes/server.ts"
import * as vertex from "../support/fakes/vertex.ts"
import { type Gateway, readChunks, startGateway, vertexProject } from "../support/gateway.ts"

let gateway: Gateway
beforeEach(async () => {
  gateway = await startGateway()
})
afterEach(async () => {
  await gateway.close()
})

const codestral = (text: string): Handler => (_, res) => sendJson(res, 200, vertex.rawPredictJson(text))

const publisherModel = (publisher: string, model: string, method: string) =>
  `/v1/projects/${vertexProject}/locations/us-central1/publishers/${publisher}/models/${model}:${method}`

const currentFile = {
  file_name: "app.py",
  content_above_cursor: "def add(a, b):\n    return ",
  content_below_cursor: "\n\nprint(add(1, 2))\n",
}

/** The Claude names of April 2024 and of GitLab 17.x, and the current model each reaches. */
const claudeNames = [
  ["claude-instant-1.2", "claude-haiku-5-5"],
  ["claude-2.1", "claude-sonnet-5-5"],
  ["claude-3-5-sonnet-20240620", "claude-sonnet-5-5"],
  ["claude-3-5-sonnet-20241022", "claude-sonnet-5-5"],
  ["claude-3-5-haiku-20241022", "claude-haiku-5-5"],
  ["claude-3-7-sonnet-20250219", "claude-sonnet-5-5"],
  ["claude-sonnet-4-20250514", "claude-sonnet-5-5"],
  ["claude-sonnet-5-5", "claude-sonnet-5-5"],
  ["claude-haiku-5-5", "claude-haiku-5-5"],
] as const

describe("a claude-2.1 string-prompt generation", () => {
  const body = {
    current_file: currentFile,
    model_provider: "anthropic",
    model_name: "claude-2.1",
    prompt_version: 2,
    prompt: "You write Python.\n\nHuman: Write the body of add.\n\nAssistant: <new_code>",
  }

  it("reaches /v1/messages with the current model id and the prompt as messages", async () => {
    gateway.anthropic.enqueue(anthropic.message("<new_code>a + b"))

    const response = await gateway.post("/v2/code/generations", body)

    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({
      model: { engine: "anthropic", name: "claude-2.1", lang: "python" },
      choices: [{ text: "a + b", index: 0 }],
    })
    const [upstream] = gateway.anthropic.requests
    expect(upstream!.url).toBe("/v1/messages")
    expect(upstream!.body).toEqual({
      model: "claude-sonnet-5-5",
      max_tokens: 2048,
      system: "You write Python.",
      messages: [{
        role: "user",
        content: `Write the body of add.\n\n${continuationInstruction("<new_code>")}`,
      }],
      stop_sequences: ["</new_code>", "\n\nHuman:"],
      stream: false,
    })
  })

  it("streams the continuation without a repeat of the text it continues", async () => {
    gateway.anthropic.enqueue((_, res) => sendSse(res, anthropic.messageStream(["<new_", "code>a", " + b"])))

    const response = await gateway.post("/v2/code/generations", { ...body, stream: true })

    expect(response.status).toBe(200)
    expect((await readChunks(response)).join("")).toBe("a + b")
    expect(gateway.anthropic.requests[0]!.body).toMatchObject({ model: "claude-sonnet-5-5", stream: true })
  })
})

describe("a prompt_version 1 completion with no model named", () => {
  it("reaches Codestral's :rawPredict on Vertex with the prompt and the suffix", async () => {
    gateway.vertex.enqueue(codestral("a + b"))

    const response = await gateway.post("/v2/code/completions", { current_file: currentFile })

    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({
      model: { engine: "vertex-ai", name: "code-gecko@002", lang: "python" },
      choices: [{ text: "a + b", index: 0 }],
    })
    const [upstream] = gateway.vertex.requests
    expect(upstream!.url).toBe(publisherModel("mistralai", "codestral-2", "rawPredict"))
    expect(upstream!.body).toMatchObject({
      model: "codestral-2",
      suffix: currentFile.content_below_cursor,
      max_tokens: 64,
      stream: false,
    })
    expect(upstream!.body.prompt).toMatch(/def add\(a, b\):\n {4}return $/)
  })
})

describe.each(["/v2/code/completions", "/v2/code/generations"])("%s with an anthropic model name", (path) => {
  it.each(claudeNames)("%s reaches %s over the Messages API", async (name, upstream) => {
    gateway.anthropic.enqueue(anthropic.message("a + b"))

    const response = await gateway.post(path, {
      current_file: currentFile,
      model_provider: "anthropic",
      model_name: name,
    })

    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({
      model: { engine: "anthropic", name },
      choices: [{ text: expect.stringContaining("a + b") }],
    })
    const [request] = gateway.anthropic.requests
    expect(request!.url).toBe("/v1/messages")
    expect(request!.body.model).toBe(upstream)
    expect(request!.body).not.toHaveProperty("temperature")
    expect(request!.body.messages.at(-1).role).toBe("user")
  })
})

describe("vertex-ai model names", () => {
  it.each(["code-gecko@002", "codestral@2405"])("completions with %s reach Codestral", async (name) => {
    gateway.vertex.enqueue(codestral("a + b"))

    const response = await gateway.post("/v2/code/completions", {
      current_file: currentFile,
      model_provider: "vertex-ai",
      model_name: name,
    })

    expect(await response.json()).toMatchObject({ model: { name }, choices: [{ text: "a + b" }] })
    expect(gateway.vertex.requests[0]!.url).toBe(publisherModel("mistralai", "codestral-2", "rawPredict"))
  })

  it.each(["code-bison@002", "text-bison@002"])("generations with %s reach Gemini", async (name) => {
    gateway.vertex.enqueue(vertex.gemini("return a + b"))

    const response = await gateway.post("/v2/code/generations", {
      current_file: currentFile,
      model_provider: "vertex-ai",
      model_name: name,
    })

    expect(await response.json()).toMatchObject({ model: { name }, choices: [{ text: expect.any(String) }] })
    expect(gateway.vertex.requests[0]!.url).toBe(
      publisherModel("google", "gemini-3.5-flash", "generateContent"),
    )
  })
})
