/**
 * A fake upstream: a real `node:http` server on 127.0.0.1 (port 0) that records every request
 * and answers with scripted handlers, one per request in order, then a fallback. The wire
 * formats of each provider live beside it (anthropic.ts, vertex.ts, openai.ts).
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"

export interface RecordedRequest {
  readonly method: string
  /** Path and query. */
  readonly url: string
  readonly headers: IncomingHttpHeaders
  /** The JSON body, or the raw text when it is not JSON; loose so tests can reach into it. */
  // deno-lint-ignore no-explicit-any
  readonly body: any
}

export type Handler = (request: RecordedRequest, response: ServerResponse) => void | Promise<void>

export interface FakeUpstream {
  readonly url: string
  readonly requests: Array<RecordedRequest>
  /** Handlers for the next requests, in order. */
  readonly enqueue: (...handlers: ReadonlyArray<Handler>) => void
  /** Most requests in progress at once so far. */
  readonly maxInFlight: () => number
  /**
   * Resolves once `count` requests have arrived in all (each read to its end), before their
   * handler runs: the signal that the gateway has made those calls.
   */
  readonly received: (count: number) => Promise<void>
  readonly close: () => Promise<void>
}

export const startFake = async (
  fallback: Handler = (_, res) => sendJson(res, 500, { error: "unscripted" }),
) => {
  const requests: Array<RecordedRequest> = []
  const queue: Array<Handler> = []
  let inFlight = 0
  let maxInFlight = 0
  const waiters: Array<{ readonly count: number; readonly resolve: () => void }> = []
  const received = (count: number) =>
    requests.length >= count
      ? Promise.resolve()
      : new Promise<void>((resolve) => void waiters.push({ count, resolve }))
  const server = createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8")
      let body: unknown = text
      try {
        body = JSON.parse(text)
      } catch {
        // keep the text
      }
      const recorded: RecordedRequest = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body,
      }
      requests.push(recorded)
      inFlight += 1
      maxInFlight = Math.max(maxInFlight, inFlight)
      res.on("close", () => {
        inFlight -= 1
      })
      for (const waiter of waiters.filter((waiter) => requests.length >= waiter.count)) {
        waiters.splice(waiters.indexOf(waiter), 1)
        waiter.resolve()
      }
      void Promise.resolve((queue.shift() ?? fallback)(recorded, res)).catch(() => res.destroy())
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  const fake: FakeUpstream = {
    url: `http://127.0.0.1:${port}`,
    requests,
    enqueue: (...handlers) => void queue.push(...handlers),
    maxInFlight: () => maxInFlight,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
  return fake
}

/** A signal the test opens to let a handler continue (e.g. send the next chunk). */
export interface Gate {
  readonly opened: Promise<void>
  readonly open: () => void
}

export const gate = (): Gate => {
  let open = () => {}
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  return { opened, open }
}

export const sendJson = (
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) => {
  res.writeHead(status, { "content-type": "application/json", ...headers })
  res.end(JSON.stringify(body))
}

export interface SseEvent {
  readonly event?: string
  readonly data: string
}

/** A step of an SSE answer: an event to write, or a gate to wait for before going on. */
export type SseStep = SseEvent | Gate

const isGate = (step: SseStep): step is Gate => "opened" in step

/** Writes SSE events one by one (each flushed), waiting at gates; `end: "reset"` drops the socket. */
export const sendSse = async (
  res: ServerResponse,
  steps: ReadonlyArray<SseStep>,
  options: { readonly end?: "close" | "reset" } = {},
) => {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" })
  res.flushHeaders()
  let written = Promise.resolve()
  for (const step of steps) {
    if (isGate(step)) {
      await step.opened
      continue
    }
    const text = `${step.event === undefined ? "" : `event: ${step.event}\n`}data: ${step.data}\n\n`
    written = new Promise<void>((resolve) => void res.write(text, () => resolve()))
  }
  if (options.end === "reset") {
    // Destroying the socket drops what is still buffered: wait until the last event has left.
    await written
    res.socket?.destroy()
    return
  }
  res.end()
}

/** A status answer, e.g. 429 with `retry-after`. */
export const status = (
  code: number,
  headers: Record<string, string> = {},
  body: unknown = { error: { message: `status ${code}` } },
): Handler =>
(_, res) => sendJson(res, code, body, headers)

/** Never answers (until the fake closes): for timeouts. */
export const hang: Handler = () => new Promise<void>(() => {})

/** Answers after the gate opens: for holding calls in flight. */
export const after = (wait: Gate, handler: Handler): Handler => async (request, response) => {
  await wait.opened
  await handler(request, response)
}
