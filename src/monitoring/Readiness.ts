/**
 * Readiness: whether this replica should receive traffic (SPEC §1 `/monitoring/ready`).
 *
 * Components that must be ready before serving (for example the JWKS cache, once keys were
 * fetched) register a named check; the replica is ready when every registered check is.
 * Loading the configuration is implied: the app is not built without it.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"

export interface ReadinessReport {
  readonly ready: boolean
  readonly checks: Readonly<Record<string, boolean>>
}

export class Readiness extends Context.Service<Readiness, {
  /** Registers or updates a named check. */
  readonly report: (name: string, ready: boolean) => Effect.Effect<void>
  readonly current: Effect.Effect<ReadinessReport>
}>()("aigw/monitoring/Readiness") {
  static readonly layer = Layer.effect(
    Readiness,
    Effect.gen(function* () {
      const checks = yield* Ref.make<Readonly<Record<string, boolean>>>({})
      return Readiness.of({
        report: (name, ready) => Ref.update(checks, (current) => ({ ...current, [name]: ready })),
        current: Effect.map(Ref.get(checks), (current) => ({
          ready: Object.values(current).every(Boolean),
          checks: current,
        })),
      })
    }),
  )
}
