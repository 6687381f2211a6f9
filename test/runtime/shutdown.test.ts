/**
 * Graceful shutdown of the Node server layer that serve.node.ts runs: when the server is
 * interrupted (what SIGTERM does through NodeRuntime.runMain), it stops accepting connections
 * and the requests in flight still get their whole answer.
 */
import { Effect, Fiber, Layer, Result } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import { request } from "node:http"
import { describe, expect, it } from "vitest"
import { parseAppConfig } from "../../src/config/AppConfig.ts"
import { nodeServer } from "../../src/serve.node.ts"
import { eventually } from "../support/eventually.ts"
import { gate } from "../support/fakes/server.ts"
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

describe("Node server shutdown", () => {
  it("lets a request in flight finish and refuses new connections", async () => {
    const port = await freePort()
    const config = Result.getOrThrow(parseAppConfig({
      AIGW_FASTAPI__API_HOST: "127.0.0.1",
      AIGW_FASTAPI__API_PORT: String(port),
    }))
    const arrived = gate()
    const released = gate()
    const slowRoute = HttpRouter.add(
      "GET",
      "/slow",
      Effect.promise(() => {
        arrived.open()
        return released.opened
      }).pipe(Effect.as(HttpServerResponse.text("finished"))),
    )
    const serving = Effect.runFork(Layer.launch(nodeServer(config, slowRoute)))
    const baseUrl = `http://127.0.0.1:${port}`
    await eventually(() => get(`${baseUrl}/nothing`), { intervalMs: 50 })

    const inFlight = get(`${baseUrl}/slow`)
    await arrived.opened
    const stopped = Effect.runPromise(Fiber.interrupt(serving))

    await eventually(() => expect(get(`${baseUrl}/nothing`)).rejects.toThrow(/ECONNREFUSED/), {
      intervalMs: 20,
    })
    released.open()
    expect(await inFlight).toEqual([200, "finished"])
    await stopped
  })
})
