/** Routes match case-sensitively, as the original's (SPEC §13): `/V2/...` is an unknown path. */
import { afterEach, describe, expect, it } from "vitest"
import { startTestApp, type TestApp } from "../support/app.ts"

let app: TestApp | undefined
afterEach(async () => {
  await app?.dispose()
  app = undefined
})

const completion = {
  current_file: { file_name: "a.py", content_above_cursor: "def f(", content_below_cursor: "" },
}

describe("route matching", () => {
  it("answers 404 for a known path in other letter case, and serves the path as written", async () => {
    app = startTestApp()
    for (const path of ["/V2/CODE/COMPLETIONS", "/v2/Code/completions", "/AI/v2/code/completions"]) {
      const response = await app.request(path, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(completion),
      })
      expect(response.status, path).toBe(404)
      expect(await response.json()).toEqual({ detail: "Not Found" })
    }
    expect((await app.request("/Monitoring/Healthz")).status).toBe(404)
    expect((await app.request("/monitoring/healthz")).status).toBe(200)
    expect((await app.request("/ai/monitoring/healthz")).status).toBe(200)
  })
})
