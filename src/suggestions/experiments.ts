/**
 * Experiments of the code suggestions pipeline, drawn per request and reported in the response's
 * `experiments` (SPEC §3.3, §3.5). `exp_truncate_suffix`: variant 0 (control) sends the suffix as
 * it is; variant 1 keeps only the part of the suffix inside the syntax block around the cursor.
 * The weights default to 100 % control, as the original shipped.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Random from "effect/Random"
import { AppConfig } from "../config/AppConfig.ts"

export interface ExperimentOutcome {
  readonly name: string
  readonly variant: number
}

export const truncateSuffixExperiment = "exp_truncate_suffix"

/** Picks an index with probability proportional to its weight. */
export const pickVariant = (weights: ReadonlyArray<number>, draw: number): number => {
  const total = weights.reduce((sum, weight) => sum + weight, 0)
  let point = draw * total
  for (let index = 0; index < weights.length; index++) {
    point -= weights[index]!
    if (point < 0) return index
  }
  return weights.length - 1
}

export class Experiments extends Context.Service<Experiments, {
  /** The `exp_truncate_suffix` variant of this request. */
  readonly truncateSuffix: Effect.Effect<ExperimentOutcome>
}>()("aigw/suggestions/Experiments") {
  static readonly layer = Layer.effect(
    Experiments,
    Effect.map(Effect.service(AppConfig), (config) => {
      const weights = config.experiments.truncateSuffixWeights
      const [control, variant] = weights
      const constant = control === 0 ? 1 : variant === 0 ? 0 : undefined
      return Experiments.of({
        truncateSuffix: constant !== undefined
          ? Effect.succeed({ name: truncateSuffixExperiment, variant: constant })
          : Effect.map(
            Random.next,
            (draw) => ({ name: truncateSuffixExperiment, variant: pickVariant(weights, draw) }),
          ),
      })
    }),
  )
}
