/**
 * The limiter service with the test clock: buckets refill at the configured rate, never past
 * their size; and the bucket identity prefers what the token pins over what headers say.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import { debugIdentity, type IdentityShape } from "../../src/auth/Identity.ts"
import { AppConfig } from "../../src/config/AppConfig.ts"
import { Metrics } from "../../src/observability/Metrics.ts"
import { bucketIdentity, familyOfPath } from "../../src/ratelimit/families.ts"
import { RateLimiter } from "../../src/ratelimit/RateLimiter.ts"

const limiter = (env: Record<string, string>) =>
  RateLimiter.layer.pipe(
    Layer.provide(AppConfig.layerTest({ AIGW_RATE_LIMIT__ENABLED: "true", ...env })),
    Layer.provide(Metrics.layer),
  )

const allowedOf = (family: "code" | "chat", identity: string, times: number) =>
  Effect.gen(function* () {
    const { take } = yield* RateLimiter
    const allowed: Array<boolean> = []
    for (let i = 0; i < times; i++) allowed.push((yield* take(family, identity))?.allowed ?? true)
    return allowed
  })

describe("RateLimiter (in memory)", () => {
  it.effect("refills one token per 60/rpm seconds, up to the burst", () =>
    Effect.gen(function* () {
      assert.deepStrictEqual(yield* allowedOf("code", "u", 4), [true, true, true, false])
      const refused = yield* (yield* RateLimiter).take("code", "u")
      assert.strictEqual(refused?.retryAfterSeconds, 20)
      yield* TestClock.adjust("19 seconds")
      assert.deepStrictEqual(yield* allowedOf("code", "u", 1), [false])
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(yield* allowedOf("code", "u", 2), [true, false])
      // Ten minutes idle refill the bucket to its size, not beyond.
      yield* TestClock.adjust("10 minutes")
      assert.deepStrictEqual(yield* allowedOf("code", "u", 4), [true, true, true, false])
    }).pipe(Effect.provide(limiter({ AIGW_RATE_LIMIT__REQUESTS_PER_MINUTE: "3" }))))

  it.effect("gives each family its own budget", () =>
    Effect.gen(function* () {
      assert.deepStrictEqual(yield* allowedOf("code", "u", 3), [true, true, false])
      assert.deepStrictEqual(yield* allowedOf("chat", "u", 6), [true, true, true, true, true, false])
    }).pipe(
      Effect.provide(
        limiter({ AIGW_RATE_LIMIT__REQUESTS_PER_MINUTE: "2", AIGW_RATE_LIMIT__OVERRIDES: `{"chat":5}` }),
      ),
    ))

  it.effect("limits nothing when off", () =>
    Effect.gen(function* () {
      assert.deepStrictEqual(yield* allowedOf("code", "u", 3), [true, true, true])
    }).pipe(
      Effect.provide(
        limiter({ AIGW_RATE_LIMIT__ENABLED: "false", AIGW_RATE_LIMIT__REQUESTS_PER_MINUTE: "1" }),
      ),
    ))
})

const selfIssued: IdentityShape = {
  ...debugIdentity,
  subject: "user-7",
  issuer: "gitlab-ai-gateway",
  gitlabRealm: "self-managed",
  gitlabInstanceId: "instance-1",
  isSelfIssued: true,
  isDebug: false,
}

describe("bucket identity", () => {
  it("takes a self-issued token's claims over the headers", () => {
    const headers = { "x-gitlab-global-user-id": "someone-else", "x-gitlab-instance-id": "other" }
    assert.strictEqual(bucketIdentity(selfIssued, headers), bucketIdentity(selfIssued, {}))
  })

  it("reads the headers for other tokens, and the token's sub without them", () => {
    const instanceToken: IdentityShape = {
      ...selfIssued,
      subject: "instance-uuid",
      isSelfIssued: false,
      gitlabInstanceId: undefined,
    }
    const alice = bucketIdentity(instanceToken, {
      "x-gitlab-global-user-id": "alice",
      "x-gitlab-instance-id": "i",
    })
    const bob = bucketIdentity(instanceToken, {
      "x-gitlab-global-user-id": "bob",
      "x-gitlab-instance-id": "i",
    })
    assert.notStrictEqual(alice, bob)
    const other = bucketIdentity({ ...instanceToken, subject: "other-instance" }, {})
    assert.notStrictEqual(bucketIdentity(instanceToken, {}), other)
  })

  it("keeps keys short whatever the headers", () => {
    const key = bucketIdentity(debugIdentity, { "x-gitlab-global-user-id": "x".repeat(10_000) })
    assert.isAtMost(key.length, 256)
  })

  it("maps routes to families", () => {
    assert.deepStrictEqual(
      [
        "/v2/completions",
        "/v3/code/completions",
        "/v4/code/suggestions",
        "/v1/code/user_access_token",
        "/v1/chat/agent",
        "/v1/x-ray/libraries",
        "/monitoring/healthz",
      ].map(familyOfPath),
      ["code", "code", "code", "code", "chat", "x-ray", undefined],
    )
  })
})
