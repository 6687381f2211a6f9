/**
 * The benchmark's fake upstream, run as its own process so its CPU is not the gateway's: a bare
 * `node:http` server on 127.0.0.1 that answers every provider call at once, recording nothing
 * (so a soak does not grow it).
 *
 * - `POST /v1/messages` (Anthropic Messages, the current Claude models): JSON, or with
 *   `"stream": true` SSE whose first text is written at once and the rest after
 *   `BENCH_STREAM_TAIL_MS` (default 5 ms), so the time to the first byte is measured apart from
 *   the whole stream.
 * - `POST …:rawPredict` (Codestral on Vertex, the built-in completion model): one completion.
 * - `POST /v1/complete` (legacy Anthropic text completions) and `…:predict` (Vertex code-gecko),
 *   for catalogs that still point there.
 *
 * Prints `listening <port>` on stdout when ready. `BENCH_PORT` picks the port (default any).
 */
import { createServer, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"

const tailMs = Number(process.env.BENCH_STREAM_TAIL_MS ?? "5")

const completion = JSON.stringify({
  type: "completion",
  id: "compl_bench",
  completion: "Thought: I can answer this directly.\nFinal Answer: Hello! How can I help you today?",
  stop_reason: "stop_sequence",
  model: "claude-2.1",
})

const message = JSON.stringify({
  id: "msg_bench",
  type: "message",
  role: "assistant",
  model: "claude-3-haiku-20240307",
  content: [{ type: "text", text: "Hello! How can I help you today?" }],
  stop_reason: "end_turn",
  stop_sequence: null,
  usage: { input_tokens: 3, output_tokens: 9 },
})

// A completion the post-processing keeps: it finishes the function at the cursor.
const prediction = JSON.stringify({
  predictions: [{
    content: "x + y\n",
    safetyAttributes: { blocked: false, categories: [], scores: [] },
  }],
  metadata: {},
})

// Codestral's fill-in-the-middle answer through :rawPredict (OpenAI-style choices).
const rawPrediction = JSON.stringify({
  id: "cmpl-bench",
  object: "text_completion",
  model: "codestral-2",
  choices: [{ index: 0, text: "x + y\n", finish_reason: "stop" }],
})

const sse = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`
const textDelta = (text: string) =>
  sse("content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text } })

const messageHead = sse("message_start", {
  type: "message_start",
  message: { ...JSON.parse(message), content: [], usage: { input_tokens: 3, output_tokens: 0 } },
}) +
  sse("content_block_start", {
    type: "content_block_start",
    index: 0,
    content_block: { type: "text", text: "" },
  }) +
  textDelta("def reverse")
const messageTail = textDelta("_string(s):\n") + textDelta("    return s[::-1]\n") +
  sse("content_block_stop", { type: "content_block_stop", index: 0 }) +
  sse("message_delta", {
    type: "message_delta",
    delta: { stop_reason: "end_turn", stop_sequence: null },
    usage: { output_tokens: 9 },
  }) + sse("message_stop", { type: "message_stop" })

const streamEvent = (text: string, stop: string | null) =>
  `event: completion\ndata: ${
    JSON.stringify({ type: "completion", completion: text, stop_reason: stop })
  }\n\n`

const streamHead = streamEvent("def reverse", null)
const streamTail = streamEvent("_string(s):\n", null) + streamEvent("    return s[::-1]\n", null) +
  streamEvent("</new_code>", null) + streamEvent("", "stop_sequence")

const json = (res: ServerResponse, body: string) => {
  res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) })
  res.end(body)
}

const server = createServer((req, res) => {
  const chunks: Array<Buffer> = []
  req.on("data", (chunk: Buffer) => chunks.push(chunk))
  req.on("end", () => {
    const url = req.url ?? "/"
    const streamed = /"stream"\s*:\s*true/.test(Buffer.concat(chunks).toString("utf8"))
    const stream = (head: string, tail: string) => {
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" })
      res.write(head)
      const finish = () => res.end(tail)
      if (tailMs > 0) setTimeout(finish, tailMs)
      else finish()
    }
    if (url.endsWith(":rawPredict")) return json(res, rawPrediction)
    if (url.endsWith(":predict")) return json(res, prediction)
    if (url.startsWith("/v1/messages")) {
      return streamed ? stream(messageHead, messageTail) : json(res, message)
    }
    if (url.startsWith("/v1/complete")) {
      return streamed ? stream(streamHead, streamTail) : json(res, completion)
    }
    res.writeHead(404, { "content-type": "application/json" })
    res.end(`{"error":"not found: ${url.replace(/[^\w/:.@-]/g, "")}"}`)
  })
})
server.keepAliveTimeout = 65_000
server.listen(Number(process.env.BENCH_PORT ?? "0"), "127.0.0.1", () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`)
})
process.on("SIGTERM", () => process.exit(0))
