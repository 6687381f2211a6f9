/**
 * Post-processing through the HTTP API: each op alone (the other four excluded with
 * `AIGW_F__CODE_SUGGESTIONS__EXCL_POST_PROC`), all five together, the short flag name, and the
 * generation steps per provider.
 */
import { afterEach, describe, expect, it } from "vitest"
import { completionOps } from "../../src/suggestions/PostProcessor.ts"
import * as anthropic from "../support/fakes/anthropic.ts"
import * as vertex from "../support/fakes/vertex.ts"
import { type Gateway, legacyModels, startGateway } from "../support/gateway.ts"

let gateway: Gateway | undefined
afterEach(async () => {
  await gateway?.close()
  gateway = undefined
})

const allOps = completionOps.map(([name]) => name)
const onlyOp = (name: string, flag = "AIGW_F__CODE_SUGGESTIONS__EXCL_POST_PROC") => ({
  [flag]: JSON.stringify(allOps.filter((other) => other !== name)),
})

const complete = async (
  env: Record<string, string>,
  file: { prefix: string; suffix?: string; name?: string },
  modelAnswer: string,
) => {
  gateway = await startGateway({ ...legacyModels(), ...env })
  gateway.vertex.enqueue(vertex.predict(modelAnswer))
  const response = await gateway.post("/v2/code/completions", {
    current_file: {
      file_name: file.name ?? "app.py",
      content_above_cursor: file.prefix,
      content_below_cursor: file.suffix ?? "",
    },
  })
  expect(response.status).toBe(200)
  const { choices } = await response.json() as { choices: Array<{ text: string }> }
  return choices.length === 0 ? "" : choices[0]!.text
}

describe("each completion op alone, through the API", () => {
  it("remove_comment_only_completion empties a comment-only answer", async () => {
    expect(await complete(onlyOp("remove_comment_only_completion"), { prefix: "x = 1\n" }, "# a\n# b")).toBe(
      "",
    )
  })

  it("trim_by_min_allowed_context cuts at the end of the block around the cursor", async () => {
    const answer = await complete(
      onlyOp("trim_by_min_allowed_context"),
      { prefix: "def f(x):\n    if x:\n        " },
      "y = 1\n        z = 2\n    return 3\n",
    )
    expect(answer).toBe("y = 1\n        z = 2")
  })

  it("fix_end_block_errors drops a closer the suffix already has", async () => {
    const answer = await complete(
      onlyOp("fix_end_block_errors"),
      { name: "main.go", prefix: "package main\n\nfunc f() {\n\tg()\n", suffix: "}\n" },
      "}",
    )
    expect(answer).toBe("")
  })

  it("clean_model_reflection drops an echoed comment line", async () => {
    const answer = await complete(
      onlyOp("clean_model_reflection"),
      { prefix: "# add the numbers\nresult = " },
      "a + b\n# add the numbers\nprint(result)",
    )
    expect(answer).toBe("a + b\nprint(result)")
  })

  it("strip_whitespaces empties a whitespace answer", async () => {
    expect(await complete(onlyOp("strip_whitespaces"), { prefix: "x = " }, "  \n ")).toBe("")
  })

  it("with every op excluded the answer is untouched (also under the short flag name)", async () => {
    const answer = "y = 1\n        z = 2\n    return 3\n"
    expect(
      await complete(
        { AIGW_F__EXCL_POST_PROC: JSON.stringify(allOps) },
        { prefix: "def f(x):\n    if x:\n        " },
        answer,
      ),
    ).toBe(answer)
  })
})

describe("the whole completion pipeline", () => {
  it("runs the ops in order and stops at an empty result", async () => {
    // Comment-only: emptied by the first op, so nothing else runs and choices are empty.
    expect(await complete({}, { prefix: "x = 1\n" }, "# just a comment")).toBe("")
    // A function completion with an echoed comment after the block: trimmed to the block.
    expect(
      await complete(
        {},
        { prefix: "# helper\ndef add(x, y):\n    " },
        "return x + y\n\n# helper\ndef sub(x, y):\n",
      ),
    ).toBe("return x + y")
  })
})

describe("generations", () => {
  const generate = async (provider: "vertex-ai" | "anthropic", prefix: string, modelAnswer: string) => {
    gateway = await startGateway(legacyModels())
    if (provider === "vertex-ai") gateway.vertex.enqueue(vertex.predict(modelAnswer))
    else gateway.anthropic.enqueue(anthropic.completion(modelAnswer))
    const response = await gateway.post("/v2/code/generations", {
      model_provider: provider,
      current_file: { file_name: "app.py", content_above_cursor: prefix, content_below_cursor: "" },
    })
    const { choices } = await response.json() as { choices: Array<{ text: string }> }
    return choices.length === 0 ? "" : choices[0]!.text
  }

  it("Vertex: strips the fence and tags and puts a newline first when the code before has none", async () => {
    expect(
      await generate(
        "vertex-ai",
        "# reverse a string",
        "```python\ndef reverse(s):\n    return s[::-1]\n```",
      ),
    )
      .toBe("\ndef reverse(s):\n    return s[::-1]\n")
    expect(
      await generate(
        "vertex-ai",
        "# reverse a string\n",
        "<new_code>def reverse(s):\n    return s[::-1]</new_code>",
      ),
    )
      .toBe("def reverse(s):\n    return s[::-1]")
  })

  it("Anthropic: drops a trailing </new_code> and what follows", async () => {
    expect(
      await generate(
        "anthropic",
        "# reverse\n",
        "def reverse(s):\n    return s[::-1]\n</new_code>\nThat is all.",
      ),
    )
      .toBe("def reverse(s):\n    return s[::-1]\n")
  })

  it("an answer of only whitespace is an empty choice list", async () => {
    expect(await generate("anthropic", "# x\n", "   \n")).toBe("")
  })
})
