/**
 * The whole app in-process through its web handler, as the contract tests use it: real
 * middleware and routing, a configuration from explicit variables, and log lines collected in
 * memory so tests can assert on them.
 */
import { NodeFileSystem } from "@effect/platform-node"
import { makeWebHandler } from "../../src/app.ts"
import { AppConfig } from "../../src/config/AppConfig.ts"
import { LogSink } from "../../src/observability/Logger.ts"
import { makeMetrics, Metrics } from "../../src/observability/Metrics.ts"
import { makeMetricsWebHandler } from "../../src/observability/metricsRoutes.ts"
import * as UpstreamClient from "../../src/net/upstreamClient.ts"

export interface TestApp {
  /** Sends a request to the app; `path` is joined to `http://aigw.test`. */
  readonly request: (path: string, init?: RequestInit) => Promise<Response>
  /** Every log line written so far, parsed from JSON. */
  readonly logs: () => Array<Record<string, unknown>>
  /** `GET /metrics` of the metrics listener: the Prometheus text. */
  readonly scrape: () => Promise<string>
  readonly dispose: () => Promise<void>
}

/**
 * Auth is bypassed unless the test configures it (`AIGW_AUTH__BYPASS_EXTERNAL=false` with
 * providers from oidcProvider.ts), so no test reaches the real GitLab.com.
 */
export const startTestApp = (env: Readonly<Record<string, string>> = {}): TestApp => {
  const lines: Array<string> = []
  const metrics = Metrics.layerFrom(makeMetrics())
  const { handler, dispose } = makeWebHandler({
    config: AppConfig.layerTest({ AIGW_AUTH__BYPASS_EXTERNAL: "true", ...env }),
    fileSystem: NodeFileSystem.layer,
    logSink: LogSink.layerMemory(lines),
    metrics,
    // Node's pooled client under Node, fetch under Deno: the contract tests exercise both.
    upstreamHttpClient: UpstreamClient.layerForRuntime,
  })
  const metricsHandler = makeMetricsWebHandler(metrics)
  return {
    request: (path, init) => handler(new Request(new URL(path, "http://aigw.test"), init)),
    logs: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    scrape: async () => (await metricsHandler.handler(new Request("http://aigw.test:8082/metrics"))).text(),
    dispose: async () => {
      await dispose()
      await metricsHandler.dispose()
    },
  }
}

/** A JSON POST as GitLab sends it. */
export const postJson = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body: typeof body === "string" ? body : JSON.stringify(body),
})
