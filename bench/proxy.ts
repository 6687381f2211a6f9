/**
 * Scenario (b): a bare `node:http` proxy, the physical limit of a Node proxy on this machine. It
 * forwards every request (path and body as they are) to `BENCH_UPSTREAM` over a keep-alive agent
 * and pipes the answer back (status, headers, body): no auth, no validation, no logging.
 *
 * Prints `listening <port>` on stdout when ready.
 */
import { Agent, createServer, request } from "node:http"
import type { AddressInfo } from "node:net"

const upstream = process.env.BENCH_UPSTREAM ?? "http://127.0.0.1:1"
const agent = new Agent({ keepAlive: true, maxSockets: 256 })

const server = createServer((req, res) => {
  const outgoing = request(new URL(req.url ?? "/", upstream), {
    agent,
    method: "POST",
    headers: { "content-type": req.headers["content-type"] ?? "application/json" },
  }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers)
    answer.pipe(res)
  })
  outgoing.on("error", () => {
    if (!res.headersSent) res.writeHead(502)
    res.end()
  })
  req.pipe(outgoing)
})
server.keepAliveTimeout = 65_000
server.listen(Number(process.env.BENCH_PORT ?? "0"), "127.0.0.1", () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`)
})
process.on("SIGTERM", () => process.exit(0))
