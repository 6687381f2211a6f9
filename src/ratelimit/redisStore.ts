/**
 * Buckets in Redis, shared by every worker and replica: one `EVALSHA` per request (ioredis
 * loads the script on first use), the bucket arithmetic of tokenBucket.ts in Lua, timed by the
 * Redis server's clock so replicas with skewed clocks still agree.
 *
 * The client never queues: while Redis is unreachable a command fails at once, and one that
 * takes longer than `commandTimeoutMillis` fails too, so the limiter can let the request
 * through (fail open) instead of waiting. ioredis reconnects in the background.
 */
import { Redis } from "ioredis"
import type { BucketSpec, Decision } from "./tokenBucket.ts"

const takeTokenScript = `
local capacity = tonumber(ARGV[1])
local per_milli = tonumber(ARGV[2]) / 60000
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * per_milli)
local allowed = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = math.ceil((1 - tokens) / per_milli)
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / per_milli) + 1000)
return {allowed, math.floor(tokens), wait}
`

interface ScriptedClient {
  aigwTakeToken(key: string, capacity: number, refillPerMinute: number): Promise<[number, number, number]>
}

export interface RedisBuckets {
  readonly take: (key: string, spec: BucketSpec) => Promise<Decision>
  /** Resolves once connected, or after `waitMillis` (the limiter fails open meanwhile). */
  readonly ready: (waitMillis: number) => Promise<boolean>
  readonly close: () => void
}

export const makeRedisBuckets = (url: string, commandTimeoutMillis: number): RedisBuckets => {
  const client = new Redis(url, {
    commandTimeout: commandTimeoutMillis,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 1_000,
    retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
  })
  // Failures are reported by the limiter (one warning a minute); ioredis would print each one.
  client.on("error", () => {})
  client.defineCommand("aigwTakeToken", { numberOfKeys: 1, lua: takeTokenScript })
  const scripted = client as unknown as ScriptedClient
  return {
    take: async (key, spec) => {
      const [allowed, remaining, waitMillis] = await scripted.aigwTakeToken(
        key,
        spec.capacity,
        spec.refillPerMinute,
      )
      return {
        allowed: allowed === 1,
        remaining,
        retryAfterSeconds: allowed === 1 ? 0 : Math.max(1, Math.ceil(waitMillis / 1000)),
      }
    },
    ready: (waitMillis) =>
      client.status === "ready" ? Promise.resolve(true) : new Promise((resolve) => {
        const timer = setTimeout(() => {
          client.off("ready", onReady)
          resolve(false)
        }, waitMillis)
        const onReady = () => {
          clearTimeout(timer)
          resolve(true)
        }
        client.once("ready", onReady)
      }),
    close: () => client.disconnect(),
  }
}
