/**
 * Node 24 entrypoint: `node src/main.node.ts` (production, from the environment and `.env`)
 * or with `--dev` (the embedded development defaults: mock models, auth bypass, docs on).
 *
 * Two listeners: the API (`AIGW_FASTAPI__API_*`) and the Prometheus metrics
 * (`AIGW_FASTAPI__METRICS_*`). SIGTERM/SIGINT: the servers stop accepting, in-flight requests and
 * streams finish (up to 30 s), then the process exits 0.
 */
import { readFileSync } from "node:fs"
import * as Result from "effect/Result"
import { loadConfiguration } from "./startup.ts"
import { isClusterPrimary, runPrimary } from "./workers.ts"

export const main = (): void => {
  const loaded = loadConfiguration({
    args: process.argv,
    environment: process.env,
    readTextFile: (path) => readFileSync(path, "utf8"),
  })
  if (Result.isFailure(loaded)) {
    process.stderr.write(`${loaded.failure}\n`)
    process.exit(1)
  }
  const config = loaded.success
  if (isClusterPrimary(config)) return runPrimary(config)
  // Only a process that serves loads the app: a cluster's primary supervises with far less memory.
  void import("./serve.node.ts").then(({ serve }) => serve(config))
}

if (import.meta.main) main()
