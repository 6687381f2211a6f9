/**
 * Scenario (f), baseline: the hello-world JSON answer of `bench/effectHello.ts` from a bare
 * `node:http` server (`POST /hello`; the request body is not read, as there).
 *
 * `node bench/hello.ts [port]` (default `BENCH_PORT`, else any free port); prints
 * `listening <port>` on stdout when ready.
 */
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"

const port = Number(process.argv[2] ?? process.env.BENCH_PORT ?? "0")

const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  if (req.method !== "POST" || req.url !== "/hello") {
    res.writeHead(404, { "content-type": "application/json" })
    res.end('{"detail":"Not Found"}')
    return
  }
  const body = JSON.stringify({ message: "Hello, World!" })
  res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) })
  res.end(body)
})
server.listen(port, "127.0.0.1", () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`)
})
process.on("SIGTERM", () => process.exit(0))
