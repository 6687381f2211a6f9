/**
 * The token bucket: `capacity` tokens, refilled continuously at `refillPerMinute`; a request
 * takes one. The in-memory store keeps buckets here; the Redis store runs the same arithmetic in
 * its Lua script (redisStore.ts).
 */

export interface BucketSpec {
  /** The bucket size (`AIGW_RATE_LIMIT__BURST`). */
  readonly capacity: number
  readonly refillPerMinute: number
}

export interface Decision {
  readonly allowed: boolean
  /** Whole tokens left after this request. */
  readonly remaining: number
  /** Whole seconds until a token is back (≥ 1); 0 when allowed. */
  readonly retryAfterSeconds: number
}

export interface BucketState {
  tokens: number
  updatedAtMillis: number
}

/** Takes one token from `state` (mutated) at `nowMillis`. */
export const takeToken = (state: BucketState, spec: BucketSpec, nowMillis: number): Decision => {
  const perMilli = spec.refillPerMinute / 60_000
  const elapsed = Math.max(0, nowMillis - state.updatedAtMillis)
  const tokens = Math.min(spec.capacity, state.tokens + elapsed * perMilli)
  state.updatedAtMillis = nowMillis
  if (tokens >= 1) {
    state.tokens = tokens - 1
    return { allowed: true, remaining: Math.floor(state.tokens), retryAfterSeconds: 0 }
  }
  state.tokens = tokens
  const waitMillis = (1 - tokens) / perMilli
  return { allowed: false, remaining: 0, retryAfterSeconds: Math.max(1, Math.ceil(waitMillis / 1000)) }
}

/**
 * Buckets of one process. Bounded: past `maxBuckets` the least recently used bucket is dropped
 * (its sender starts again with a full bucket), so senders inventing identities cannot grow it.
 */
export const makeMemoryBuckets = (maxBuckets = 100_000) => {
  const buckets = new Map<string, BucketState>()
  return {
    take: (key: string, spec: BucketSpec, nowMillis: number): Decision => {
      let state = buckets.get(key)
      if (state === undefined) {
        state = { tokens: spec.capacity, updatedAtMillis: nowMillis }
        if (buckets.size >= maxBuckets) buckets.delete(buckets.keys().next().value!)
      } else {
        buckets.delete(key)
      }
      buckets.set(key, state)
      return takeToken(state, spec, nowMillis)
    },
    get size() {
      return buckets.size
    },
  }
}
