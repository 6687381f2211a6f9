/**
 * Graceful shutdown of the Node server layer that main.node.ts runs: when the server is
 * interrupted (what SIGTERM does through NodeRuntime.runMain), it stops accepting connections
 * and the requests in flight still get their whole answer.
 */
import { Effect, Fiber, Layer, Result } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import { request } from "node:http"
import { describe, expect, it } from "vitest"
import { parseAppConfig } from "../../src/config/AppConfig.ts"
import { nodeServer } from "../../src/main.node.ts"
import { freePort } from "../support/process.ts"

/** A GET on a fresh connection (no pooled keep-alive socket), resolving to status and body. */
const get = (url: string) =>
  new Promise<[number, string]>((resolve, reject) => {
    const outgoing = request(url, { agent: false }, (response) => {
      let body = ""
      response.setEncoding("utf8")
      response.on("data", (chunk) => (body += chunk))
      response.on("end", () => resolve([response.statusCode ?? 0, body]))
      response.on("error", reject)
    })
    outgoing.on("error", reject)
    outgoing.end()
  })

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe("Node server shutdown", () => {
  it("lets a request in flight finish and refuses new connections", async () => {
    const port = await freePort()
    const config = Result.getOrThrow(parseAppConfig({
      AIGW_FASTAPI__API_HOST: "127.0.0.1",
      AIGW_FASTAPI__API_PORT: String(port),
    }))
    let releaseSlow = () => {}
    const released = new Promise<void>((resolve) => (releaseSlow = resolve))
    const slowRoute = HttpRouter.add(
      "GET",
      "/slow",
      Effect.promise(() => released).pipe(Effect.as(HttpServerResponse.text("finished"))),
    )
    const serving = Effect.runFork(Layer.launch(nodeServer(config, slowRoute)))
    const baseUrl = `http://127.0.0.1:${port}`
    for (let attempt = 0; attempt < 100; attempt++) {
      if (await get(`${baseUrl}/nothing`).then(() => true, () => false)) break
      await sleep(50)
    }

    const inFlight = get(`${baseUrl}/slow`)
    await sleep(100)
    const stopped = Effect.runPromise(Fiber.interrupt(serving))
    await sleep(100)

    await expect(get(`${baseUrl}/nothing`)).rejects.toThrow(/ECONNREFUSED/)
    releaseSlow()
    expect(await inFlight).toEqual([200, "finished"])
    await stopped
  })
})
