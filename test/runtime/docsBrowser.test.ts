/**
 * The docs page in a real browser with the network blocked: Debian's chromium (installed by
 * .ci/run when missing) driven by puppeteer-core. Every request other than to 127.0.0.1 is
 * refused, and the page must still render the route list. The screenshot goes to
 * test-artifacts/ (git-ignored).
 */
import { mkdirSync } from "node:fs"
import { join } from "node:path"
import puppeteer from "puppeteer-core"
import { afterAll, describe, expect, it } from "vitest"
import { type RunningGateway, startGateway } from "../support/process.ts"

const artifacts = join(import.meta.dirname, "..", "..", "test-artifacts")
let gateway: RunningGateway | undefined
afterAll(() => gateway?.child.kill("SIGKILL"))

describe("docs page in headless Chromium", () => {
  it("renders the route list with the network blocked", async () => {
    gateway = await startGateway("node", {
      AIGW_FASTAPI__DOCS_URL: "/docs",
      AIGW_FASTAPI__OPENAPI_URL: "/openapi.json",
    })
    const browser = await puppeteer.launch({
      executablePath: "/usr/bin/chromium",
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
    })
    try {
      const page = await browser.newPage()
      await page.setRequestInterception(true)
      const blocked: Array<string> = []
      page.on("request", (request) => {
        const url = new URL(request.url())
        if (url.protocol === "data:" || url.protocol === "blob:" || url.hostname === "127.0.0.1") {
          void request.continue()
        } else {
          blocked.push(request.url())
          void request.abort()
        }
      })
      await page.setViewport({ width: 1280, height: 900 })
      await page.goto(`${gateway.baseUrl}/docs`, { waitUntil: "networkidle0", timeout: 60_000 })
      await page.waitForFunction(() => document.body.innerText.includes("/v2/code/completions"), {
        timeout: 60_000,
      })
      const text = await page.evaluate(() => document.body.innerText)
      for (const path of ["/v2/code/completions", "/v3/code/completions", "/v1/chat/agent"]) {
        expect(text).toContain(path)
      }
      expect(blocked).toEqual([])
      mkdirSync(artifacts, { recursive: true })
      await page.screenshot({ path: join(artifacts, "docs.png"), fullPage: false })
    } finally {
      await browser.close()
    }
  }, 120_000)
})
