/**
 * Hostile prompt text through the whole app (SPEC §13): 100,000 characters of CJK, emoji, one
 * letter, spaces, a lone surrogate at either end, or mixed scripts, on completions (Vertex,
 * Anthropic, OpenAI-compatible) and generations. The user gets the model's answer, and the
 * prompt sent upstream keeps the text nearest the cursor that fits the budget, well-formed.
 * Speed is measured by `npm run bench` (its hostile scenario), not here.
 */
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { countTokens, exactTokensCap } from "../../src/suggestions/tokens.ts"
import * as anthropic from "../support/fakes/anthropic.ts"
import * as openai from "../support/fakes/openai.ts"
import { type FakeUpstream, startFake } from "../support/fakes/server.ts"
import * as vertex from "../support/fakes/vertex.ts"
import { type Gateway, startGateway } from "../support/gateway.ts"
import { legacyCatalogWith } from "../support/legacyCatalog.ts"

const length = 100_000

const hostileTexts: ReadonlyArray<readonly [name: string, text: string]> = [
  ["CJK", "漢字仮名交じり文中文字符测试한국어".repeat(6_000).slice(0, length)],
  ["emoji", "🙂😀🎉👍".repeat(12_500)],
  ["one letter", "a".repeat(length)],
  ["spaces", " ".repeat(length)],
  ["a lone high surrogate at the end", " ㄱ".repeat(49_999) + "x\ud800"],
  ["a lone low surrogate at the start", "\udc00" + "x" + " ㄱ".repeat(49_999)],
  ["mixed scripts", "def f(x):  # ünï 注释 🙂 Привет مرحبا".repeat(3_000).slice(0, length)],
]

const hasBrokenSurrogate = (text: string) => !text.isWellFormed()

/**
 * A token count without the tokenizer's cap on exact work: slices short enough to be counted
 * exactly, summed (a cut adds at most a token or two, hence the 1 % allowance below).
 */
const tokensInSlices = (text: string) => {
  let total = 0
  for (let start = 0; start < text.length;) {
    let end = Math.min(text.length, start + 1_000)
    if (end < text.length && /[\udc00-\udfff]/.test(text[end]!)) end--
    total += countTokens(text.slice(start, end))
    start = end
  }
  return total
}

/** How many characters at the end of `a` and `b` agree. */
const commonSuffix = (a: string, b: string) => {
  let count = 0
  while (count < a.length && count < b.length && a[a.length - 1 - count] === b[b.length - 1 - count]) count++
  return count
}
const commonPrefix = (a: string, b: string) => {
  let count = 0
  while (count < a.length && count < b.length && a[count] === b[count]) count++
  return count
}

let gateway: Gateway
let openaiUpstream: FakeUpstream
beforeAll(async () => {
  openaiUpstream = await startFake()
  // The original's models (code-gecko's 2,048-token budget, the legacy Anthropic API) plus a
  // fill-in-the-middle model on an OpenAI-compatible server.
  const catalog = join(mkdtempSync(join(tmpdir(), "aigw-catalog-")), "models.json")
  writeFileSync(
    catalog,
    JSON.stringify({
      ...legacyCatalogWith({
        "local-fim": {
          provider: "openai-compatible",
          upstream: "Qwen/Qwen2.5-Coder-7B",
          api: "completions",
          useCases: ["completion"],
          contextTokens: 8192,
          baseUrl: `${openaiUpstream.url}/v1`,
        },
      }),
      defaults: { "openai-compatible": { completion: "local-fim" } },
    }),
  )
  gateway = await startGateway({ AIGW_MODELS__CATALOG_FILE: catalog, AIGW_LOGGING__LEVEL: "info" })
})
afterAll(async () => {
  await gateway.close()
  await openaiUpstream.close()
})

const request = (text: string, extra: Record<string, unknown> = {}) => ({
  current_file: { file_name: "app.py", content_above_cursor: text, content_below_cursor: text },
  ...extra,
})

/** The prompt keeps the end of the prefix (and the start of the suffix) that fits, not a scrap. */
const expectKeptNearCursor = (
  text: string,
  sent: { readonly prefix: string; readonly suffix?: string },
  budget: number,
) => {
  const wellFormed = text.toWellFormed()
  for (const part of [sent.prefix, sent.suffix ?? ""]) expect(hasBrokenSurrogate(part)).toBe(false)
  expect(tokensInSlices(sent.prefix) + tokensInSlices(sent.suffix ?? "")).toBeLessThanOrEqual(budget * 1.01)
  // The whole text, or an end using most of the budget: all of it within the tokenizer's exact
  // range, at least that range past it (where further text counts as its UTF-8 size).
  const kept = commonSuffix(sent.prefix, wellFormed)
  if (kept < wellFormed.length) {
    expect(tokensInSlices(wellFormed.slice(-kept))).toBeGreaterThan(Math.min(budget * 0.7, exactTokensCap))
  }
  if (sent.suffix !== undefined) expect(commonPrefix(sent.suffix, wellFormed)).toBeGreaterThan(50)
}

describe.each(hostileTexts)("%s, 100,000 characters", (_name, text) => {
  it("Vertex completion: answers and sends the code nearest the cursor within 2,048 tokens", async () => {
    gateway.vertex.enqueue(vertex.predict("value"))
    const response = await gateway.post("/v2/code/completions", request(text))
    expect(response.status).toBe(200)
    expect(response.headers.get("x-aigw-model-error")).toBeNull()
    expect((await response.json()).choices[0].text).toBe("value")
    const instance = gateway.vertex.requests.at(-1)!.body as {
      instances: Array<{ prefix: string; suffix: string }>
    }
    expectKeptNearCursor(text, instance.instances[0]!, 2_048)
  })

  it("Anthropic completion: answers and sends the code nearest the cursor", async () => {
    gateway.anthropic.enqueue(anthropic.completion("value"))
    const response = await gateway.post(
      "/v2/code/completions",
      request(text, { model_provider: "anthropic" }),
    )
    expect(response.status).toBe(200)
    expect(response.headers.get("x-aigw-model-error")).toBeNull()
    expect((await response.json()).choices[0].text).toBe("value")
    const prompt = (gateway.anthropic.requests.at(-1)!.body as { prompt: string }).prompt
    expect(hasBrokenSurrogate(prompt)).toBe(false)
    // The instruction surrounds the code; the code before the cursor is kept up to it.
    const cursor = prompt.lastIndexOf("<cursor/>")
    expect(cursor).toBeGreaterThan(0)
    expectKeptNearCursor(text, { prefix: prompt.slice(0, cursor) }, 100_000)
  })

  it("OpenAI-compatible completion: answers and sends prefix and suffix within 8,192 tokens", async () => {
    openaiUpstream.enqueue(openai.completion("value"))
    const response = await gateway.post(
      "/v2/code/completions",
      request(text, { model_provider: "openai-compatible", model_name: "local-fim" }),
    )
    expect(response.status).toBe(200)
    expect(response.headers.get("x-aigw-model-error")).toBeNull()
    expect((await response.json()).choices[0].text).toBe("value")
    const sent = openaiUpstream.requests.at(-1)!.body as { prompt: string; suffix: string }
    expectKeptNearCursor(text, { prefix: sent.prompt, suffix: sent.suffix }, 8_192)
  })

  it("generation: answers and puts the code nearest the cursor in the instruction", async () => {
    gateway.anthropic.enqueue(anthropic.completion("<new_code>value</new_code>"))
    const response = await gateway.post(
      "/v2/code/generations",
      request(text, { model_provider: "anthropic" }),
    )
    expect(response.status).toBe(200)
    expect(response.headers.get("x-aigw-model-error")).toBeNull()
    expect((await response.json()).choices[0].text).toContain("value")
    const prompt = (gateway.anthropic.requests.at(-1)!.body as { prompt: string }).prompt
    expect(hasBrokenSurrogate(prompt)).toBe(false)
    const tail = text.toWellFormed().slice(-1_000)
    expect(prompt).toContain(tail)
  })
})
