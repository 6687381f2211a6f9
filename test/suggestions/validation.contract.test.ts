/**
 * The body rules of SPEC §3.1–§3.4, each limit at the boundary and one past it, through the
 * whole app (mock models, real middleware, real signed tokens).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Gateway, legacyModels, startGateway } from "../support/gateway.ts"

let gateway: Gateway
beforeAll(async () => {
  gateway = await startGateway({ AIGW_MOCK_MODEL_RESPONSES: "true" })
})
afterAll(async () => {
  await gateway.close()
})

const currentFile = { file_name: "app.py", content_above_cursor: "def f(", content_below_cursor: "" }
const completion = (overrides: Record<string, unknown> = {}) => ({ current_file: currentFile, ...overrides })
const withFile = (file: Record<string, unknown>) => ({ current_file: { ...currentFile, ...file } })

type Detail = { type: string; loc: Array<string | number>; msg: string }

const expectAccepted = async (path: string, body: unknown) => {
  const response = await gateway.post(path, body)
  expect(response.status, await response.clone().text()).toBe(200)
}

const expectRejectedAt = async (path: string, body: unknown, loc: Array<string | number>) => {
  const response = await gateway.post(path, body)
  expect(response.status).toBe(422)
  const { detail } = await response.json() as { detail: Array<Detail> }
  expect(detail.map((entry) => entry.loc)).toContainEqual(loc)
  return detail
}

const v2Routes = ["/v2/completions", "/v2/code/completions", "/v2/code/generations"]

describe.each(v2Routes)("%s limits", (path) => {
  it.each([
    ["file_name", 255],
    ["language_identifier", 255],
  ])("current_file.%s: %d characters pass, one more is 422", async (field, limit) => {
    await expectAccepted(path, withFile({ [field]: "a".repeat(limit - 3) + ".py" }))
    await expectRejectedAt(path, withFile({ [field]: "a".repeat(limit - 2) + ".py" }), [
      "body",
      "current_file",
      field,
    ])
  })

  it("current_file.file_name is trimmed before its length check", async () => {
    await expectAccepted(path, withFile({ file_name: `  ${"a".repeat(252)}.py  ` }))
  })

  it.each(["content_above_cursor", "content_below_cursor"])(
    "current_file.%s: 100,000 characters pass, 100,001 is 422",
    async (field) => {
      await expectAccepted(path, withFile({ [field]: "x".repeat(100_000) }))
      await expectRejectedAt(path, withFile({ [field]: "x".repeat(100_001) }), [
        "body",
        "current_file",
        field,
      ])
    },
  )

  it("project_path: 255 characters after trimming pass, 256 is 422", async () => {
    await expectAccepted(path, completion({ project_path: ` ${"p".repeat(255)} ` }))
    await expectRejectedAt(path, completion({ project_path: "p".repeat(256) }), ["body", "project_path"])
  })

  it("telemetry: 10 entries pass, 11 is 422; counts may be integral strings", async () => {
    const entry = {
      model_engine: "vertex-ai",
      model_name: "code-gecko",
      lang: "python",
      requests: "1",
      accepts: 0,
      errors: 0,
    }
    await expectAccepted(path, completion({ telemetry: Array(10).fill(entry) }))
    await expectRejectedAt(path, completion({ telemetry: Array(11).fill(entry) }), ["body", "telemetry"])
  })

  it("telemetry fields: 50 characters pass, 51 is 422", async () => {
    await expectAccepted(path, completion({ telemetry: [{ model_engine: "e".repeat(50) }] }))
    await expectRejectedAt(path, completion({ telemetry: [{ model_engine: "e".repeat(51) }] }), [
      "body",
      "telemetry",
      0,
      "model_engine",
    ])
  })

  it("model_name longer than 50 characters is 422", async () => {
    await expectRejectedAt(path, completion({ model_name: "m".repeat(51) }), ["body", "model_name"])
  })

  it("an unknown model_provider is 422", async () => {
    await expectRejectedAt(path, completion({ model_provider: "openai" }), ["body", "model_provider"])
  })

  it("a missing current_file or content_above_cursor is 422", async () => {
    await expectRejectedAt(path, {}, ["body", "current_file"])
    await expectRejectedAt(path, { current_file: { file_name: "a.py" } }, [
      "body",
      "current_file",
      "content_above_cursor",
    ])
  })

  it("ignores unknown keys and accepts nulls for optional fields", async () => {
    await expectAccepted(path, {
      ...completion({
        intent: "completion",
        choices_count: 3,
        context: [],
        project_id: null,
        model_name: null,
      }),
      model_provider: null,
      telemetry: null,
    })
  })

  it("coerces stream and prompt_version from strings", async () => {
    const response = await gateway.post(path, completion({ stream: "True", prompt_version: "1" }))
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/)
  })
})

describe("model names", () => {
  it("a model of another provider or use case is 422 naming the model", async () => {
    const detail = await expectRejectedAt(
      "/v2/code/completions",
      completion({ model_provider: "vertex-ai", model_name: "claude-2.1" }),
      ["body", "model_name"],
    )
    expect(detail[0]!.msg).toContain("claude-2.1")
    await expectRejectedAt(
      "/v2/code/generations",
      completion({ model_provider: "vertex-ai", model_name: "codestral@2405" }),
      ["body", "model_name"],
    )
  })

  it.each([
    ["/v2/code/completions", "anthropic", "claude-instant-1.1"],
    ["/v2/code/completions", "anthropic", "claude-instant-1.2"],
    ["/v2/code/completions", "vertex-ai", "code-gecko@002"],
    ["/v2/code/generations", "anthropic", "claude-2.0"],
    ["/v2/code/generations", "anthropic", "claude-3-haiku-20240307"],
    ["/v2/code/generations", "vertex-ai", "code-bison@002"],
    ["/v2/code/completions", "vertex-ai", "codestral@2405"],
    ...["claude-2.1", "claude-3-5-sonnet-20240620", "claude-sonnet-4-20250514", "claude-haiku-5-5"].flatMap((
      model,
    ) => [["/v2/code/completions", "anthropic", model], ["/v2/code/generations", "anthropic", model]]),
  ])("%s accepts %s %s", async (path, provider, model) => {
    await expectAccepted(path, completion({ model_provider: provider, model_name: model }))
  })
})

describe("prompt_version", () => {
  it("2 without a prompt is 422 at prompt", async () => {
    await expectRejectedAt("/v2/code/completions", completion({ prompt_version: 2 }), ["body", "prompt"])
    await expectRejectedAt("/v2/code/generations", completion({ prompt_version: 2 }), ["body", "prompt"])
  })

  it("3 is for generations only, with a list of messages", async () => {
    await expectRejectedAt("/v2/code/completions", completion({ prompt_version: 3 }), [
      "body",
      "prompt_version",
    ])
    await expectRejectedAt("/v2/code/generations", completion({ prompt_version: 3, prompt: "text" }), [
      "body",
      "prompt",
    ])
    await expectRejectedAt(
      "/v2/code/generations",
      completion({ prompt_version: 3, prompt: [{ role: "robot", content: "x" }] }),
      ["body", "prompt", 0, "role"],
    )
  })

  it("3 with a null model_name uses the provider's default generation model, which takes messages", async () => {
    await expectAccepted(
      "/v2/code/generations",
      completion({
        prompt_version: 3,
        model_provider: "anthropic",
        model_name: null,
        prompt: [{ role: "user", content: "x" }],
      }),
    )
  })

  describe("with the original's models from a catalog file", () => {
    let builtinGateway: Gateway
    beforeAll(async () => {
      builtinGateway = gateway
      gateway = await startGateway({ ...legacyModels(), AIGW_MOCK_MODEL_RESPONSES: "true" })
    })
    afterAll(async () => {
      await gateway.close()
      gateway = builtinGateway
    })

    it("3 with a model that takes text only is 422, not 500", async () => {
      await expectRejectedAt(
        "/v2/code/generations",
        completion({
          prompt_version: 3,
          model_provider: "vertex-ai",
          prompt: [{ role: "user", content: "x" }],
        }),
        ["body", "prompt_version"],
      )
    })

    it("3 with a null model_name resolves the provider's default model instead of failing", async () => {
      // The original's default generation model (claude-2.0) takes text only: a clear 422, not a 500.
      const detail = await expectRejectedAt(
        "/v2/code/generations",
        completion({
          prompt_version: 3,
          model_provider: "anthropic",
          model_name: null,
          prompt: [{ role: "user", content: "x" }],
        }),
        ["body", "prompt_version"],
      )
      expect(detail[0]!.msg).toContain("claude-2.0")
      await expectAccepted(
        "/v2/code/generations",
        completion({
          prompt_version: 3,
          model_provider: "anthropic",
          model_name: "claude-3-haiku-20240307",
          prompt: [{ role: "user", content: "x" }],
        }),
      )
    })
  })

  it("4 is 422", async () => {
    await expectRejectedAt("/v2/code/generations", completion({ prompt_version: 4 }), [
      "body",
      "prompt_version",
    ])
  })
})

describe("/v3/code/completions", () => {
  const component = (payload: Record<string, unknown> = {}, type = "code_editor_completion") => ({
    type,
    payload: { file_name: "a.py", content_above_cursor: "x", content_below_cursor: "", ...payload },
  })

  it("needs 1 to 100 prompt components", async () => {
    await expectAccepted("/v3/code/completions", { prompt_components: [component()] })
    await expectAccepted("/v3/code/completions", { prompt_components: [component(), component()] })
    await expectRejectedAt("/v3/code/completions", { prompt_components: [] }, ["body", "prompt_components"])
    await expectRejectedAt(
      "/v3/code/completions",
      { prompt_components: Array.from({ length: 101 }, () => component()) },
      ["body", "prompt_components"],
    )
  })

  it("limits file_name to 255 and contents to 100,000 characters", async () => {
    await expectAccepted("/v3/code/completions", {
      prompt_components: [component({ file_name: "a".repeat(252) + ".py" })],
    })
    await expectRejectedAt(
      "/v3/code/completions",
      { prompt_components: [component({ file_name: "a".repeat(253) + ".py" })] },
      ["body", "prompt_components", 0, "payload", "file_name"],
    )
    await expectAccepted("/v3/code/completions", {
      prompt_components: [component({ content_above_cursor: "x".repeat(100_000) })],
    })
    await expectRejectedAt(
      "/v3/code/completions",
      { prompt_components: [component({ content_above_cursor: "x".repeat(100_001) })] },
      ["body", "prompt_components", 0, "payload", "content_above_cursor"],
    )
  })

  it("limits a generation prompt to 400,000 characters", async () => {
    await expectAccepted("/v3/code/completions", {
      prompt_components: [
        component({ prompt: "p".repeat(400_000), model_provider: "anthropic" }, "code_editor_generation"),
      ],
    })
    await expectRejectedAt(
      "/v3/code/completions",
      { prompt_components: [component({ prompt: "p".repeat(400_001) }, "code_editor_generation")] },
      ["body", "prompt_components", 0, "payload", "prompt"],
    )
  })

  it("takes optional metadata with source and version of at most 255 characters", async () => {
    await expectAccepted("/v3/code/completions", {
      prompt_components: [{ ...component(), metadata: { source: "s".repeat(255), version: "1.0" } }],
    })
    await expectRejectedAt(
      "/v3/code/completions",
      { prompt_components: [{ ...component(), metadata: { source: "s".repeat(256), version: "1.0" } }] },
      ["body", "prompt_components", 0, "metadata", "source"],
    )
    await expectRejectedAt(
      "/v3/code/completions",
      { prompt_components: [{ ...component(), metadata: { source: "ide" } }] },
      ["body", "prompt_components", 0, "metadata", "version"],
    )
  })

  it("rejects an unknown component type", async () => {
    await expectRejectedAt(
      "/v3/code/completions",
      { prompt_components: [component({}, "chat")] },
      ["body", "prompt_components", 0],
    )
  })
})

describe("authentication and scope", () => {
  it("a request without a token is 401, and a token without code_suggestions is 403", async () => {
    const anonymous = await gateway.request("/v2/code/completions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(completion()),
    })
    expect(anonymous.status).toBe(401)
    expect(await anonymous.json()).toEqual({ error: "No authorization header presented" })
    const chatOnly = await gateway.post("/v2/code/completions", completion(), ["duo_chat"])
    expect(chatOnly.status).toBe(403)
    expect(await chatOnly.json()).toEqual({ detail: "Forbidden" })
    const v3ChatOnly = await gateway.post("/v3/code/completions", { prompt_components: [] }, ["duo_chat"])
    expect(v3ChatOnly.status).toBe(403)
  })
})
