/**
 * One wrapper for every provider (SPEC §5): a timeout per call, retries with exponential
 * backoff and jitter for transient failures, and per-model concurrency caps.
 *
 * - Timeout: a one-shot call must answer within it; a stream must produce each chunk within it
 *   (so a stalled stream fails instead of hanging). A timeout is not retried: the budget is spent.
 * - Retries: only `UpstreamConnection` and `UpstreamStatus` 429/5xx, only before the first chunk
 *   of a stream reached the consumer (a retry after that would duplicate text), waiting at least
 *   the upstream's `retry-after`; a `retry-after` longer than `maxDelay` is not waited for.
 * - Concurrency: `AIGW_MODEL_ENGINE_CONCURRENCY_LIMITS` (`{"engine": {"model": N}}`, keyed by
 *   provider and catalog name) caps in-flight calls; a call waits up to `concurrencyWait` for a
 *   slot, then fails with `ConcurrencyLimited`. A stream holds its slot until it ends, fails or
 *   is interrupted, so the in-flight count cannot leak.
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Semaphore from "effect/Semaphore"
import * as Stream from "effect/Stream"
import { AppConfig } from "../config/AppConfig.ts"
import { Metrics, type MetricsShape } from "../observability/Metrics.ts"
import type { ModelEntry } from "./catalog.ts"
import { ConcurrencyLimited, type ModelError, UpstreamTimeout } from "./errors.ts"
import type { Provider } from "./Provider.ts"
import type { ModelIdentity } from "./types.ts"

export interface ResilienceOptions {
  /** Per call (one-shot) or per chunk (streams). Default 30 s. */
  readonly timeout: Duration.Input
  /** Retries after the first attempt. Default 1. */
  readonly retries: number
  /** First backoff delay, doubled each retry, jittered. Default 250 ms. */
  readonly baseDelay: Duration.Input
  /** Longest wait before a retry, including `retry-after`. Default 5 s. */
  readonly maxDelay: Duration.Input
  /** Longest wait for a concurrency slot. Default 1 s. */
  readonly concurrencyWait: Duration.Input
}

export const defaultResilienceOptions: ResilienceOptions = {
  timeout: "30 seconds",
  retries: 1,
  baseDelay: "250 millis",
  maxDelay: "5 seconds",
  concurrencyWait: "1 second",
}

/** What a call is made to: the model (the labels of its errors, its cap) and its own timeout. */
export interface CallTarget extends ModelIdentity {
  /** Overrides the default timeout (catalog `timeoutSeconds`). */
  readonly timeout?: Duration.Input | undefined
}

export interface ResilienceShape {
  readonly call: <A>(target: CallTarget, effect: Effect.Effect<A, ModelError>) => Effect.Effect<A, ModelError>
  readonly stream: <A>(
    target: CallTarget,
    stream: Stream.Stream<A, ModelError>,
  ) => Stream.Stream<A, ModelError>
}

const retryDelay = (error: ModelError): Duration.Duration | undefined =>
  error._tag === "UpstreamStatus" && error.retryAfterSeconds !== undefined
    ? Duration.seconds(error.retryAfterSeconds)
    : undefined

export const makeResilience = (
  options: ResilienceOptions,
  limits: ConcurrencyLimits,
): ResilienceShape => {
  const timeout = Duration.fromInputUnsafe(options.timeout)
  const maxDelay = Duration.fromInputUnsafe(options.maxDelay)
  const concurrencyWait = Duration.fromInputUnsafe(options.concurrencyWait)

  // Built once: every call to the same model shares its semaphore.
  const slots = new Map<string, { readonly semaphore: Semaphore.Semaphore; readonly limit: number }>()
  for (const [engine, models] of Object.entries(limits)) {
    for (const [model, limit] of Object.entries(models)) {
      slots.set(`${engine}\u0000${model}`, { semaphore: Semaphore.makeUnsafe(limit), limit })
    }
  }

  const schedule = Schedule.exponential(options.baseDelay).pipe(
    Schedule.jittered,
    Schedule.setInputType<ModelError>(),
    Schedule.while(({ input }) => {
      const wait = retryDelay(input)
      return input.retryable && (wait === undefined || Duration.isLessThanOrEqualTo(wait, maxDelay))
    }),
    Schedule.modifyDelay(({ input, duration }) => {
      const wait = retryDelay(input)
      const delay = wait !== undefined && Duration.isGreaterThan(wait, duration) ? wait : duration
      return Effect.succeed(Duration.min(delay, maxDelay))
    }),
    Schedule.upTo({ times: options.retries }),
  )

  const timeoutOf = (target: CallTarget) =>
    target.timeout === undefined ? timeout : Duration.fromInputUnsafe(target.timeout)

  const timeoutError = (target: CallTarget, duration: Duration.Duration) => () =>
    new UpstreamTimeout({
      engine: target.engine,
      model: target.name,
      timeoutMillis: Duration.toMillis(duration),
    })

  /** Takes a slot in the current scope, or fails after the bounded wait; `undefined` for an uncapped model. */
  const acquireSlot = (target: CallTarget) => {
    const slot = slots.get(`${target.engine}\u0000${target.name}`)
    if (slot === undefined) return undefined
    return Semaphore.takeScoped(slot.semaphore, 1).pipe(
      Effect.timeoutOption(concurrencyWait),
      Effect.flatMap(Option.match({
        onSome: () => Effect.void,
        onNone: () =>
          Effect.fail(
            new ConcurrencyLimited({
              engine: target.engine,
              model: target.name,
              limit: slot.limit,
              waitedMillis: Duration.toMillis(concurrencyWait),
            }),
          ),
      })),
    )
  }

  return {
    call: (target, effect) => {
      const duration = timeoutOf(target)
      const attempt = Effect.timeoutOrElse(effect, {
        duration,
        orElse: () => Effect.fail(timeoutError(target, duration)()),
      })
      // Most calls succeed at once: the retry schedule is only set up after a first failure,
      // which it is given as its first input, as if it had driven that attempt too.
      const retried = Effect.catch(attempt, (firstError) => {
        let replayed = false
        const again = Effect.suspend(() => {
          if (replayed) return attempt
          replayed = true
          return Effect.fail(firstError)
        })
        return Effect.retry(again, schedule)
      })
      const slot = acquireSlot(target)
      // Without a cap there is no slot to hold, so no scope to release it in.
      return slot === undefined ? retried : Effect.scoped(Effect.andThen(slot, retried))
    },
    stream: (target, stream) => {
      const duration = timeoutOf(target)
      const guarded = Stream.suspend(() => {
        // Per run of the stream: once a chunk has gone downstream, failures are final.
        let started = false
        // Each pull within the timeout, as `Stream.timeoutOrElse` does, but without its merge: that
        // forks a fiber and passes every chunk through a queue (0.15 ms of a stream's first byte).
        const attempt = Stream.transformPull(stream, (pull) =>
          Effect.succeed(Effect.timeoutOrElse(pull, {
            duration,
            orElse: () => Effect.fail(timeoutError(target, duration)()),
          }))).pipe(
            Stream.tap(() =>
              Effect.sync(() => {
                started = true
              })
            ),
          )
        return Stream.retry(attempt, schedule.pipe(Schedule.while(() => !started)))
      })
      // The slot lives in the stream's scope: released when the stream ends, fails or is interrupted.
      return Stream.unwrap(Effect.as(acquireSlot(target) ?? Effect.void, guarded))
    },
  }
}

/** The catalog entry's provider, called inside Resilience with the entry's own timeout. */
export const resilientProviders = (
  providers: Readonly<Record<string, Provider>>,
  resilience: ResilienceShape,
): Provider => {
  const target = (entry: ModelEntry): CallTarget => ({
    engine: entry.provider,
    name: entry.name,
    timeout: entry.timeoutSeconds === undefined ? undefined : entry.timeoutSeconds * 1000,
  })
  return {
    generate: (call) => resilience.call(target(call.entry), providers[call.entry.provider]!.generate(call)),
    stream: (call) => resilience.stream(target(call.entry), providers[call.entry.provider]!.stream(call)),
  }
}

type ConcurrencyLimits = Readonly<Record<string, Readonly<Record<string, number>>>>

/** The caps as `model_inferences_max_concurrent`, published once when Resilience is built. */
const publishCaps = (metrics: MetricsShape, limits: ConcurrencyLimits) => {
  for (const [engine, models] of Object.entries(limits)) {
    for (const [model, limit] of Object.entries(models)) {
      metrics.inferencesMaxConcurrent.set({ model_engine: engine, model_name: model }, limit)
    }
  }
}

const resilienceLayer = <Self>(tag: Context.Service<Self, ResilienceShape>, options: ResilienceOptions) =>
  Layer.effect(
    tag,
    Effect.gen(function* () {
      const limits = (yield* AppConfig).modelEngineConcurrencyLimits
      publishCaps(yield* Metrics, limits)
      return makeResilience(options, limits)
    }),
  )

export class Resilience extends Context.Service<Resilience, ResilienceShape>()("aigw/models/Resilience") {
  /** Defaults of SPEC §5 and the caps of `AIGW_MODEL_ENGINE_CONCURRENCY_LIMITS`; requires Metrics. */
  static readonly layer = resilienceLayer(Resilience, defaultResilienceOptions)

  /** Other timings (tests use short ones), with the configured caps. */
  static readonly layerWith = (options: Partial<ResilienceOptions>) =>
    resilienceLayer(Resilience, { ...defaultResilienceOptions, ...options })
}
