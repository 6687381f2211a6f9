/**
 * `npm run bench:ratelimit`: what the rate limiter adds to a request, measured on the
 * RateLimiter service itself (the HTTP path around it is the same with the limiter off): mean
 * time per `take` in memory, and with buckets in a real `redis-server` on loopback (one
 * round trip each), one request at a time and 50 at once.
 *
 * Options: --requests <n> per measurement (default 20000).
 */
import { parseArgs } from "node:util"
import { Effect, Layer } from "effect"
import { AppConfig } from "../src/config/AppConfig.ts"
import { Metrics } from "../src/observability/Metrics.ts"
import { RateLimiter, type RateLimiterShape } from "../src/ratelimit/RateLimiter.ts"
import { startRedisServer } from "../test/ratelimit/redisServer.ts"

const { values: options } = parseArgs({ options: { requests: { type: "string", default: "20000" } } })
const requests = Number(options.requests)

const withLimiter = <A>(env: Record<string, string>, use: (limiter: RateLimiterShape) => Promise<A>) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const limiter = yield* RateLimiter
      return yield* Effect.promise(() => use(limiter))
    }).pipe(
      Effect.provide(
        RateLimiter.layer.pipe(
          Layer.provide(AppConfig.layerTest({
            AIGW_RATE_LIMIT__ENABLED: "true",
            // Never refused, so every take does the whole work.
            AIGW_RATE_LIMIT__REQUESTS_PER_MINUTE: "100000000",
            ...env,
          })),
          Layer.provide(Metrics.layer),
        ),
      ),
    ),
  )

/** Mean microseconds per take, `concurrency` takes in flight. */
const measure = async (limiter: RateLimiterShape, concurrency: number): Promise<number> => {
  const run = (count: number) =>
    Effect.runPromise(
      Effect.forEach(
        Array.from({ length: count }, (_, i) => i),
        (i) => limiter.take("code", `self-managed|instance|user-${i % 1000}`),
        { concurrency, discard: true },
      ),
    )
  await run(Math.min(2_000, requests))
  const started = performance.now()
  await run(requests)
  return ((performance.now() - started) * 1000) / requests
}

const rows: Array<[string, number, number]> = []
rows.push(["in memory", 1, await withLimiter({}, (limiter) => measure(limiter, 1))])
const redis = await startRedisServer()
try {
  for (const concurrency of [1, 50]) {
    rows.push([
      "Redis (loopback)",
      concurrency,
      await withLimiter(
        { AIGW_RATE_LIMIT__REDIS_URL: redis.url },
        (limiter) => measure(limiter, concurrency),
      ),
    ])
  }
} finally {
  await redis.kill()
}
console.log(`rate limiter: mean cost per request over ${requests} requests`)
console.log("| store            | in flight | µs/request |")
console.log("| :--------------- | --------: | ---------: |")
for (const [store, concurrency, micros] of rows) {
  console.log(
    `| ${store.padEnd(16)} | ${String(concurrency).padStart(9)} | ${micros.toFixed(1).padStart(10)} |`,
  )
}
