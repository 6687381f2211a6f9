/**
 * Handlers of the monitoring API (monitoring.ts): liveness (the process answers) and readiness (every
 * registered check passed, see Readiness).
 */
import * as Effect from "effect/Effect"
import * as HttpApiBuilder from "effect/http-api/HttpApiBuilder"
import { Readiness } from "../monitoring/Readiness.ts"
import { Api } from "./api.ts"
import { NotReady } from "./monitoring.ts"

export const MonitoringHandlers = HttpApiBuilder.group(
  Api,
  "monitoring",
  Effect.fn(function* (handlers) {
    const readiness = yield* Readiness
    return handlers.handleAll({
      healthz: () => Effect.succeed({ status: "ok" as const }),
      ready: () =>
        Effect.flatMap(
          readiness.current,
          (report) =>
            report.ready
              ? Effect.succeed({ status: "ok" as const, checks: report.checks })
              : Effect.fail(new NotReady({ status: "unavailable", checks: report.checks })),
        ),
    })
  }),
)
