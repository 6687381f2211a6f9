/**
 * Scenario (f), the framework's ceiling: a hello-world JSON answer from Effect's HTTP server as
 * aigw builds it (`HttpRouter.serve` over `NodeHttpServer.layer`, the router's case-sensitive
 * matching, no logger), with one `POST /hello` route and no middleware. Its twin without Effect
 * is `bench/hello.ts`; the two differ only by the framework.
 *
 * `node bench/effectHello.ts [port]` (default `BENCH_PORT`, else any free port); prints
 * `listening <port>` on stdout when ready. SIGTERM stops it.
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpServer from "effect/http/HttpServer"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import { createServer } from "node:http"

const port = Number(process.argv[2] ?? process.env.BENCH_PORT ?? "0")

const HelloRoute = HttpRouter.add(
  "POST",
  "/hello",
  Effect.sync(() => HttpServerResponse.jsonUnsafe({ message: "Hello, World!" })),
)

const announcePort = Effect.gen(function* () {
  const server = yield* HttpServer.HttpServer
  const address = server.address
  if (address._tag === "UnixPathAddress") return yield* Effect.die(new Error("not a TCP address"))
  process.stdout.write(`listening ${address.port}\n`)
})

const Served = HttpRouter.serve(HelloRoute, {
  disableLogger: true,
  disableListenLog: true,
  routerConfig: { caseSensitive: true },
}).pipe(
  Layer.merge(Layer.effectDiscard(announcePort)),
  Layer.provide(NodeHttpServer.layer(() => createServer({ keepAliveTimeout: 65_000 }), {
    host: "127.0.0.1",
    port,
  })),
)

NodeRuntime.runMain(Layer.launch(Served))
