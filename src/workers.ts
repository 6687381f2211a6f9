/**
 * Workers on Node (`AIGW_WORKERS` > 1): the primary process forks that many workers, which serve
 * the API on the one configured port (`node:cluster` hands each new connection to a worker in
 * turn). The primary does not serve the API: it serves the metrics listener with the sum over the
 * workers' registries (prom-client's cluster aggregation, so the series names stay the same),
 * replaces a worker that dies, and on SIGTERM/SIGINT passes the signal to every worker, which
 * drains as a single process does, then exits 0.
 *
 * With one worker none of this runs: the process serves everything itself.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import cluster, { type Worker } from "node:cluster"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import { availableParallelism } from "node:os"
import { AggregatorRegistry, Counter, Gauge, Registry } from "prom-client"
import { AppConfig, type AppConfigShape } from "./config/AppConfig.ts"
import * as Logger from "./observability/Logger.ts"
import { Metrics } from "./observability/Metrics.ts"

/** How many API processes a setting means; `auto` is one per CPU the process may use. */
export const workerCount = (setting: AppConfigShape["workers"]): number =>
  setting === "auto" ? availableParallelism() : setting

/** Whether this process is the primary of a cluster: it supervises and does not serve the API. */
export const isClusterPrimary = (config: AppConfigShape): boolean =>
  cluster.isPrimary && workerCount(config.workers) > 1

/** Whether this process is one of the API workers of a cluster. */
export const isClusterWorker = (): boolean => cluster.isWorker

/**
 * In a worker: answers the primary's metric requests from the app's registry (in place of the
 * metrics listener, which only the primary runs).
 */
export const WorkerMetricsLayer = Layer.effectDiscard(Effect.gen(function* () {
  const metrics = yield* Metrics
  // The constructor installs the worker's listener for the primary's requests.
  new AggregatorRegistry()
  AggregatorRegistry.setRegistries([metrics.registry])
}))

/** Past the workers' own drain grace (30 s), a worker still running is killed. */
const killAfterMs = 35_000

const notFound = (res: ServerResponse) => {
  res.writeHead(404, { "content-type": "application/json" })
  res.end(JSON.stringify({ detail: "Not Found" }))
}

/**
 * Runs the primary: forks the workers and supervises them until a signal has drained them all.
 * The exit code is 0 when every worker drained cleanly, 1 when one failed, or when a worker
 * stopped before it ever served (a start-up failure such as a port in use is not retried).
 */
export const runPrimary = (config: AppConfigShape): void => {
  const count = workerCount(config.workers)
  const logs = ManagedRuntime.make(
    Logger.layer.pipe(
      Layer.provide(Logger.LogSink.layerStdout),
      Layer.provide(NodeFileSystem.layer),
      Layer.provide(Layer.succeed(AppConfig, AppConfig.of(config))),
    ),
  )
  const log = (effect: Effect.Effect<void>) => logs.runFork(effect.pipe(Logger.loggerName("aigw.workers")))

  const served = new Set<number>()
  const own = new Registry()
  const restarts = new Counter({
    name: "aigw_worker_restarts_total",
    help: "API worker processes that died and were replaced.",
    registers: [own],
  })
  new Gauge({
    name: "aigw_workers",
    help: "API worker processes serving (started and listening).",
    registers: [own],
    collect() {
      this.set(served.size)
    },
  })
  const aggregator = new AggregatorRegistry()
  const serveMetrics = (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== "GET" || new URL(req.url ?? "/", "http://metrics").pathname !== "/metrics") {
      return notFound(res)
    }
    Promise.all([aggregator.clusterMetrics(), own.metrics()]).then(
      ([workers, primary]) => {
        res.writeHead(200, { "content-type": aggregator.contentType })
        res.end(workers === "" ? primary : `${workers.trimEnd()}\n\n${primary}`)
      },
      (error: unknown) => {
        res.writeHead(503, { "content-type": "application/json" })
        res.end(JSON.stringify({ detail: `worker metrics unavailable: ${String(error)}` }))
      },
    )
  }
  const metricsServer = createServer(serveMetrics)
  metricsServer.listen(config.fastapi.metricsPort, config.fastapi.metricsHost)

  let stopping = false
  let exitCode = 0
  const alive = new Set<Worker>()
  const fork = () => alive.add(cluster.fork())
  const running = () => [...alive]

  const finish = () => {
    metricsServer.close()
    metricsServer.closeAllConnections()
    void logs.dispose().finally(() => process.exit(exitCode))
  }

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return
    stopping = true
    log(Effect.logInfo("stopping workers", { signal, workers: running().length }))
    for (const worker of running()) worker.process.kill("SIGTERM")
    if (running().length === 0) finish()
    setTimeout(() => {
      for (const worker of running()) worker.process.kill("SIGKILL")
    }, killAfterMs).unref()
  }

  cluster.on("listening", (worker) => served.add(worker.id))
  cluster.on("exit", (worker, code, signal) => {
    alive.delete(worker)
    const hadServed = served.delete(worker.id)
    const fields = { pid: worker.process.pid, exit_code: code, signal }
    if (stopping) {
      if (code !== 0) exitCode = 1
      if (running().length === 0) finish()
      return
    }
    if (!hadServed) {
      log(Effect.logError("worker stopped before serving; stopping every worker", fields))
      exitCode = 1
      stop("SIGTERM")
      return
    }
    restarts.inc()
    log(Effect.logWarning("worker died; starting a new one", fields))
    fork()
  })
  process.on("SIGTERM", () => stop("SIGTERM"))
  process.on("SIGINT", () => stop("SIGINT"))

  log(Effect.logInfo("starting workers", { workers: count, pid: process.pid }))
  for (let index = 0; index < count; index++) fork()
}
