/**
 * Slow clients on the Node API server (SPEC §13): a body or headers trickled in too slowly get
 * 408 and the connection is closed; sockets past `AIGW_HTTP__MAX_CONNECTIONS` are closed at once.
 */
import { Effect, Fiber, Layer, Result } from "effect"
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import { connect, type Socket } from "node:net"
import { afterEach, describe, expect, it } from "vitest"
import { parseAppConfig } from "../../src/config/AppConfig.ts"
import { nodeServer } from "../../src/serve.node.ts"
import { freePort } from "../support/process.ts"

const echo = HttpRouter.add(
  "POST",
  "/echo",
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    return HttpServerResponse.text(yield* request.text)
  }).pipe(Effect.orDie),
)

const echoRequest = "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nok"
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A socket that got one answer and is kept open, or undefined when the server closed it. */
const servedSocket = (port: number) =>
  new Promise<Socket | undefined>((resolve) => {
    const socket = connect(port, "127.0.0.1")
    socket.setEncoding("utf8")
    socket.on("connect", () => socket.write(echoRequest))
    socket.on("data", (chunk: string) => resolve(chunk.startsWith("HTTP/1.1 200") ? socket : undefined))
    socket.on("error", () => resolve(undefined))
    socket.on("close", () => resolve(undefined))
  })

let stop: (() => Promise<unknown>) | undefined
afterEach(async () => {
  await stop?.()
  stop = undefined
})

const serve = async (env: Record<string, string>) => {
  const port = await freePort()
  const config = Result.getOrThrow(parseAppConfig({
    AIGW_FASTAPI__API_HOST: "127.0.0.1",
    AIGW_FASTAPI__API_PORT: String(port),
    ...env,
  }))
  const serving = Effect.runFork(Layer.launch(nodeServer(config, echo)))
  stop = () => Effect.runPromise(Fiber.interrupt(serving))
  // Listening once a connection is accepted and answered.
  for (;;) {
    const answer = await exchange(port, [echoRequest], true).catch(() => "")
    if (answer.startsWith("HTTP/1.1 200")) return port
    await sleep(20)
  }
}

/**
 * Writes `parts` on a new socket, then keeps trickling one byte of body (or one header line)
 * every 100 ms until the server closes the connection; resolves with everything received.
 */
const exchange = (port: number, parts: ReadonlyArray<string>, once = false, trickle = "x") =>
  new Promise<string>((resolve, reject) => {
    const socket: Socket = connect(port, "127.0.0.1")
    let received = ""
    let timer: ReturnType<typeof setInterval> | undefined
    socket.setEncoding("utf8")
    socket.on("data", (chunk: string) => {
      received += chunk
      if (once) socket.end()
    })
    socket.on("error", (error) => {
      clearInterval(timer)
      if (received === "") reject(error)
      else resolve(received)
    })
    socket.on("close", () => {
      clearInterval(timer)
      resolve(received)
    })
    socket.on("connect", () => {
      for (const part of parts) socket.write(part)
      if (!once) timer = setInterval(() => socket.writable && socket.write(trickle), 100)
    })
  })

describe("slow clients", () => {
  it("answer 408 and close the connection when the body trickles in past the body timeout", async () => {
    const port = await serve({
      AIGW_HTTP__BODY_TIMEOUT_SECONDS: "1",
      AIGW_HTTP__HEADERS_TIMEOUT_SECONDS: "1",
    })
    const answer = await exchange(port, [
      "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\nabc",
    ])
    expect(answer).toMatch(/^HTTP\/1\.1 408 /)
  })

  it("answer 408 and close the connection when the headers trickle in past the headers timeout", async () => {
    const port = await serve({
      AIGW_HTTP__BODY_TIMEOUT_SECONDS: "30",
      AIGW_HTTP__HEADERS_TIMEOUT_SECONDS: "1",
    })
    const answer = await exchange(port, ["POST /echo HTTP/1.1\r\nHost: a\r\n"], false, "X-Slow: 1\r\n")
    expect(answer).toMatch(/^HTTP\/1\.1 408 /)
  })

  it("close sockets past the connection cap at once, and serve again when one is free", async () => {
    const port = await serve({ AIGW_HTTP__MAX_CONNECTIONS: "2" })
    // Two sockets that were served and stay open (keep-alive) fill the cap.
    const held: Array<Socket> = []
    while (held.length < 2) {
      const socket = await servedSocket(port)
      if (socket === undefined) await sleep(20)
      else held.push(socket)
    }
    expect(await exchange(port, [echoRequest], true).catch(() => "")).toBe("")
    for (const socket of held) socket.destroy()
    let served = ""
    while (!served.startsWith("HTTP/1.1 200")) {
      served = await exchange(port, [echoRequest], true).catch(() => "")
      if (!served.startsWith("HTTP/1.1 200")) await sleep(20)
    }
    expect(served).toMatch(/^HTTP\/1\.1 200/)
  })
})
