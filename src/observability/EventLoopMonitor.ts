/**
 * Event-loop lag logging (`AIGW_INSTRUMENTATOR__THREAD_MONITORING_ENABLED`, every
 * `__INTERVAL` seconds): a ticker measures how late each of its wake-ups is; once per interval
 * the largest and mean delay are logged, so an operator sees a blocked loop without scraping
 * metrics (which carry `nodejs_eventloop_lag_seconds` regardless).
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { AppConfig } from "../config/AppConfig.ts"

const tick = Duration.millis(250)

export const layer: Layer.Layer<never, never, AppConfig> = Layer.effectDiscard(
  Effect.gen(function* () {
    const config = yield* AppConfig
    if (!config.instrumentator.threadMonitoringEnabled) return
    const intervalMillis = config.instrumentator.threadMonitoringIntervalSeconds * 1000
    const monitor = Effect.gen(function* () {
      let windowStart = yield* Clock.currentTimeMillis
      let worst = 0
      let total = 0
      let samples = 0
      for (;;) {
        const before = yield* Clock.currentTimeMillis
        yield* Effect.sleep(tick)
        const after = yield* Clock.currentTimeMillis
        const lag = Math.max(0, after - before - Duration.toMillis(tick))
        worst = Math.max(worst, lag)
        total += lag
        samples++
        if (after - windowStart >= intervalMillis) {
          yield* Effect.logInfo("event loop lag", {
            logger: "instrumentator",
            event_loop_lag_max_s: worst / 1000,
            event_loop_lag_mean_s: samples === 0 ? 0 : total / samples / 1000,
          })
          windowStart = after
          worst = 0
          total = 0
          samples = 0
        }
      }
    })
    yield* Effect.forkScoped(monitor)
  }),
)
