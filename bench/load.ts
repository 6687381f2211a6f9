/**
 * Load generation on loopback: autocannon (as a library) for request/answer scenarios, and a
 * small keep-alive client for streams that times the first body byte of every answer.
 */
import autocannon from "autocannon"
import { Agent, request } from "node:http"

export interface LoadTarget {
  readonly url: string
  readonly headers: Record<string, string>
  readonly body: string
}

export interface LoadResult {
  readonly requests: number
  readonly seconds: number
  readonly rps: number
  /** Mean in-flight time per request, connections ÷ req/s (ms): precise below 1 ms. */
  readonly meanMs: number
  /** Latency percentiles (ms); for streams, of the time to the first body byte. */
  readonly p50Ms: number
  readonly p99Ms: number
  /** For streams: mean time to the first body byte (ms). */
  readonly ttfbMeanMs?: number
  readonly failures: number
}

const autocannonResult = (
  result: Awaited<ReturnType<typeof autocannon>>,
  connections: number,
): LoadResult => {
  const requests = result["2xx"]
  const rps = requests / result.duration
  return {
    requests,
    seconds: result.duration,
    rps,
    meanMs: rps === 0 ? 0 : (connections / rps) * 1000,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    failures: result.errors + result.timeouts + result.non2xx,
  }
}

const autocannonOptions = (target: LoadTarget, connections: number) => ({
  url: target.url,
  method: "POST",
  headers: target.headers,
  body: target.body,
  connections,
  timeout: 30,
})

/** Drives `target` with `connections` keep-alive connections for `seconds` (POST). */
export const runAutocannon = async (
  target: LoadTarget,
  connections: number,
  seconds: number,
  rate?: number,
): Promise<LoadResult> =>
  autocannonResult(
    await autocannon({
      ...autocannonOptions(target, connections),
      duration: seconds,
      ...(rate === undefined ? {} : { overallRate: rate }),
    }),
    connections,
  )

/** Sends `amount` requests to `target` over `connections` keep-alive connections, as fast as answered. */
export const sendRequests = async (
  target: LoadTarget,
  connections: number,
  amount: number,
): Promise<LoadResult> =>
  autocannonResult(await autocannon({ ...autocannonOptions(target, connections), amount }), connections)

const percentile = (sorted: ReadonlyArray<number>, p: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!

/**
 * Drives a streaming endpoint with `connections` workers, each sending its next request when the
 * previous stream ended, for `seconds`; records the time to the first body byte of each answer.
 * `check` sees each whole body; a false answer counts as a failure.
 */
export const runStreams = async (
  target: LoadTarget,
  connections: number,
  seconds: number,
  check: (body: string) => boolean = () => true,
  pauseMs = 0,
): Promise<LoadResult> => {
  const agent = new Agent({ keepAlive: true, maxSockets: connections })
  const url = new URL(target.url)
  const firstBytes: Array<number> = []
  let failures = 0
  const started = performance.now()
  const deadline = started + seconds * 1000
  const one = () =>
    new Promise<void>((resolve) => {
      const t0 = performance.now()
      let first = 0
      let body = ""
      const outgoing = request(url, { agent, method: "POST", headers: target.headers }, (response) => {
        response.setEncoding("utf8")
        response.on("data", (chunk: string) => {
          if (first === 0) first = performance.now()
          body += chunk
        })
        response.on("end", () => {
          if (response.statusCode === 200 && first !== 0 && check(body)) firstBytes.push(first - t0)
          else failures++
          resolve()
        })
        response.on("error", () => {
          failures++
          resolve()
        })
      })
      outgoing.on("error", () => {
        failures++
        resolve()
      })
      outgoing.end(target.body)
    })
  const worker = async () => {
    while (performance.now() < deadline) {
      await one()
      if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs))
    }
  }
  await Promise.all(Array.from({ length: connections }, worker))
  const elapsed = (performance.now() - started) / 1000
  agent.destroy()
  const sorted = [...firstBytes].sort((a, b) => a - b)
  const rps = firstBytes.length / elapsed
  return {
    requests: firstBytes.length,
    seconds: elapsed,
    rps,
    meanMs: rps === 0 ? 0 : (connections / rps) * 1000,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    ttfbMeanMs: sorted.length === 0 ? 0 : sorted.reduce((a, b) => a + b, 0) / sorted.length,
    failures,
  }
}
