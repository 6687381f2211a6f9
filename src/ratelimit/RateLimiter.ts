/**
 * RateLimiter: a token bucket per identity × route family (families.ts), off unless
 * `AIGW_RATE_LIMIT__ENABLED=true`. `AIGW_RATE_LIMIT__REQUESTS_PER_MINUTE` refills (per family
 * from `AIGW_RATE_LIMIT__OVERRIDES`), `AIGW_RATE_LIMIT__BURST` is the bucket size (default: the
 * family's per-minute figure).
 *
 * Buckets live in this process (each worker its own), or in Redis with
 * `AIGW_RATE_LIMIT__REDIS_URL`, shared by every worker and replica. When Redis fails or takes
 * longer than 50 ms the request goes through (fail open): counted in
 * `aigw_rate_limit_store_errors_total`, and logged as a warning at most once a minute.
 * Requests refused are counted in `aigw_rate_limited_total{family}`.
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { Counter, type Registry } from "prom-client"
import { AppConfig, type AppConfigShape } from "../config/AppConfig.ts"
import { Metrics } from "../observability/Metrics.ts"
import type { RateLimitFamily } from "./families.ts"
import { type BucketSpec, type Decision, makeMemoryBuckets } from "./tokenBucket.ts"

/** A decision of the limiter, with the bucket size it was taken against. */
export interface Verdict extends Decision {
  readonly limit: number
}

export interface RateLimiterShape {
  readonly enabled: boolean
  /**
   * Takes a token for `identity` in `family`. `undefined`: not limited (off, or the store failed
   * and the request goes through).
   */
  readonly take: (family: RateLimitFamily, identity: string) => Effect.Effect<Verdict | undefined>
}

/** 429: the sender's bucket for this route family is empty. */
export class RateLimited extends Data.TaggedError("RateLimited")<{
  readonly limit: number
  readonly retryAfterSeconds: number
}> {}

/** A slower store answer counts as a failure: the request must not wait for it. */
export const storeTimeout = Duration.millis(50)

const warningIntervalMillis = 60_000

const counter = <L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: ReadonlyArray<L>,
) =>
  (registry.getSingleMetric(name) as Counter<L> | undefined) ??
    new Counter({ name, help, labelNames, registers: [registry] })

const bucketSpecs = (config: AppConfigShape["rateLimit"]) => {
  const specOf = (family: RateLimitFamily): BucketSpec => {
    const refillPerMinute = config.overrides[family] ?? config.requestsPerMinute
    return { capacity: config.burst ?? refillPerMinute, refillPerMinute }
  }
  return { code: specOf("code"), chat: specOf("chat"), "x-ray": specOf("x-ray") } as const
}

const disabled: RateLimiterShape = { enabled: false, take: () => Effect.succeed(undefined) }

export class RateLimiter
  extends Context.Service<RateLimiter, RateLimiterShape>()("aigw/ratelimit/RateLimiter") {
  static readonly layer: Layer.Layer<RateLimiter, never, AppConfig | Metrics> = Layer.effect(
    RateLimiter,
    Effect.gen(function* () {
      const { rateLimit } = yield* AppConfig
      const { registry } = yield* Metrics
      const limited = counter(
        registry,
        "aigw_rate_limited_total",
        "Requests refused with 429 by the rate limiter.",
        [
          "family",
        ],
      )
      const storeErrors = counter(
        registry,
        "aigw_rate_limit_store_errors_total",
        "Rate-limit checks let through because the Redis store failed or was slower than 50 ms.",
        [],
      )
      if (!rateLimit.enabled) return RateLimiter.of(disabled)
      const specs = bucketSpecs(rateLimit)
      yield* Effect.logInfo("rate limits on", {
        logger: "ratelimit",
        // Never the URL: it may carry the password.
        store: rateLimit.redisUrl === undefined ? "memory (per worker)" : "redis",
        per_minute: Object.fromEntries(
          Object.entries(specs).map(([family, spec]) => [family, spec.refillPerMinute]),
        ),
        burst: Object.fromEntries(Object.entries(specs).map(([family, spec]) => [family, spec.capacity])),
      })
      const counted = (family: RateLimitFamily, verdict: Verdict) => {
        if (!verdict.allowed) limited.inc({ family })
        return verdict
      }
      if (rateLimit.redisUrl === undefined) {
        const buckets = makeMemoryBuckets()
        return RateLimiter.of({
          enabled: true,
          take: (family, identity) =>
            Effect.map(Clock.currentTimeMillis, (now) => {
              const spec = specs[family]
              return counted(family, {
                ...buckets.take(`${family}|${identity}`, spec, now),
                limit: spec.capacity,
              })
            }),
        })
      }
      // ioredis is loaded only when Redis is configured: every worker held it otherwise
      // (docs/decisions.md, "Memory at idle").
      const { makeRedisBuckets } = yield* Effect.promise(() => import("./redisStore.ts"))
      const redis = yield* Effect.acquireRelease(
        Effect.sync(() =>
          makeRedisBuckets(Redacted.value(rateLimit.redisUrl!), Duration.toMillis(storeTimeout))
        ),
        (store) => Effect.sync(store.close),
      )
      if (!(yield* Effect.promise(() => redis.ready(1_000)))) {
        yield* Effect.logWarning(
          "rate limits: Redis is not reachable yet; requests are let through until it is",
          {
            logger: "ratelimit",
          },
        )
      }
      let lastWarningAt = Number.NEGATIVE_INFINITY
      const failOpen = (error: unknown) =>
        Effect.gen(function* () {
          storeErrors.inc()
          const now = yield* Clock.currentTimeMillis
          if (now - lastWarningAt >= warningIntervalMillis) {
            lastWarningAt = now
            yield* Effect.logWarning(
              "rate limits: the Redis store failed; requests are let through meanwhile",
              {
                logger: "ratelimit",
                error: error instanceof Error ? error.message : String(error),
              },
            )
          }
          return undefined
        })
      return RateLimiter.of({
        enabled: true,
        take: (family, identity) => {
          const spec = specs[family]
          return Effect.tryPromise(() => redis.take(`aigw:ratelimit:${family}:${identity}`, spec)).pipe(
            Effect.timeout(storeTimeout),
            Effect.map((decision): Verdict | undefined =>
              counted(family, { ...decision, limit: spec.capacity })
            ),
            Effect.catch(failOpen),
          )
        },
      })
    }),
  )
}
