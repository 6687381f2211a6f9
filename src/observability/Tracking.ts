/**
 * Tracking: Snowplow events for code suggestion requests (SPEC §7), when
 * `AIGW_SNOWPLOW__ENABLED=true`.
 *
 * Each code request emits a structured event (app id `gitlab_ai_gateway`, namespace `gl`,
 * category `code_suggestions`, action `suggestion_requested`) with one self-describing context,
 * `iglu:com.gitlab/code_suggestions_context/jsonschema/1-0-0`; completions also emit
 * `tokens_per_user_request_prompt` / `_response` (label `code_completion`, value = tokens). The
 * payloads are built by `@snowplow/tracker-core` (the tracker protocol); sending is aigw's own:
 * events wait in a bounded queue and go in batches of `AIGW_SNOWPLOW__BATCH_SIZE` to
 * `{AIGW_SNOWPLOW__ENDPOINT}/com.snowplowanalytics.snowplow/tp2` from a background fiber. A slow
 * or down collector never slows or fails a request: a full queue or a failed batch drops events,
 * counted in `aigw_snowplow_events_dropped_total`. Shutdown flushes what is queued, for a bounded
 * time.
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import { AppConfig } from "../config/AppConfig.ts"
import { Metrics } from "./Metrics.ts"

export const contextSchema = "iglu:com.gitlab/code_suggestions_context/jsonschema/1-0-0"
export const payloadDataSchema = "iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4"
export const collectorPath = "/com.snowplowanalytics.snowplow/tp2"

/** The `request_counts` entries: the body's telemetry. */
export interface RequestCount {
  readonly model_engine: string | null
  readonly model_name: string | null
  readonly lang: string | null
  readonly requests: number
  readonly accepts: number
  readonly errors: number
}

export interface SuggestionRequested {
  readonly requestCounts: ReadonlyArray<RequestCount>
  readonly prefixLength: number
  readonly suffixLength: number
  readonly language: string
  readonly userAgent: string | null
  readonly gitlabRealm: string | null
  readonly gitlabInstanceId: string | null
  readonly gitlabGlobalUserId: string | null
  readonly gitlabHostName: string | null
  /** Comma-separated headers as arrays. */
  readonly gitlabSaasNamespaceIds: ReadonlyArray<string>
  readonly gitlabSaasDuoProNamespaceIds: ReadonlyArray<string>
}

export class Tracking extends Context.Service<Tracking, {
  readonly suggestionRequested: (event: SuggestionRequested) => Effect.Effect<void>
  /**
   * `tokens_per_user_request_prompt` or `_response` of a completion; `tokens` is only counted
   * when tracking is on.
   */
  readonly completionTokens: (kind: "prompt" | "response", tokens: () => number) => Effect.Effect<void>
}>()("aigw/observability/Tracking") {
  /** Does nothing: tracking off, and tests that do not look at it. */
  static readonly layerOff = Layer.succeed(
    Tracking,
    Tracking.of({ suggestionRequested: () => Effect.void, completionTokens: () => Effect.void }),
  )

  /** Requires AppConfig, Metrics and an HttpClient. */
  static readonly layer = Layer.unwrap(Effect.map(Effect.service(AppConfig), (config) => {
    const { enabled, endpoint, batchSize } = config.snowplow
    return enabled && endpoint !== undefined
      ? layerSending(collectorUrl(endpoint), batchSize)
      : Tracking.layerOff
  }))
}

/** Queue capacity: a collector outage drops events past this instead of growing memory. */
const queueCapacity = 10_000
/** How long a partial batch waits for more events before it is sent anyway. */
const batchWait = Duration.seconds(1)
const sendTimeout = Duration.seconds(5)
const shutdownFlushTime = Duration.seconds(5)

/** The collector URL: the endpoint as given, `https://` when it names a host only. */
export const collectorUrl = (endpoint: string) => {
  const base = /^https?:\/\//.test(endpoint) ? endpoint : `https://${endpoint}`
  return base.replace(/\/+$/, "") + collectorPath
}

type Payload = Record<string, unknown>

const layerSending = (url: string, batchSize: number) =>
  Layer.effect(
    Tracking,
    Effect.gen(function* () {
      const metrics = yield* Metrics
      const client = yield* HttpClient.HttpClient
      const queue = yield* Queue.dropping<Payload>(queueCapacity)
      // Imported only when tracking is on: the tracker's modules stay out of every other process.
      const { buildStructEvent, trackerCore } = yield* Effect.promise(() => import("@snowplow/tracker-core"))
      const core = trackerCore({ base64: true })
      core.setAppId("gitlab_ai_gateway")
      core.setTrackerNamespace("gl")
      core.setPlatform("srv")

      const send = (batch: ReadonlyArray<Payload>) => {
        const sentAt = String(Date.now())
        const body = {
          schema: payloadDataSchema,
          data: batch.map((payload) => ({ ...payload, stm: sentAt })),
        }
        return HttpClientRequest.post(url).pipe(
          HttpClientRequest.bodyJsonUnsafe(body),
          client.execute,
          Effect.flatMap((response) =>
            response.status >= 200 && response.status < 300
              ? Effect.sync(() => metrics.trackingSent.inc(batch.length))
              : Effect.fail(new Error(`collector answered ${response.status}`))
          ),
          Effect.timeout(sendTimeout),
          Effect.catch((error) =>
            Effect.andThen(
              Effect.sync(() => metrics.trackingDropped.inc({ reason: "collector" }, batch.length)),
              Effect.logWarning("Snowplow collector unavailable; events dropped", {
                logger: "tracking",
                events: batch.length,
                error: String(error),
              }),
            )
          ),
        )
      }

      // The batch being gathered lives here, not in the sender fiber, so a shutdown can flush it.
      let pending: Array<Payload> = []
      const takePending = () => {
        const batch = pending
        pending = []
        return batch
      }

      const nextBatch = Effect.gen(function* () {
        pending.push(yield* Queue.take(queue))
        const deadline = Date.now() + Duration.toMillis(batchWait)
        while (pending.length < batchSize && Date.now() < deadline) {
          const more = yield* Queue.poll(queue)
          if (more._tag === "Some") pending.push(more.value)
          else yield* Effect.sleep("20 millis")
        }
        return takePending()
      })

      const sender = yield* Effect.forkScoped(Effect.forever(Effect.flatMap(nextBatch, send)))

      // On shutdown, what is gathered or queued still goes out, in batches, for a bounded time.
      yield* Effect.addFinalizer(() =>
        Effect.gen(function* () {
          // The sender stops first, so nothing is taken from the queue behind the flush.
          yield* Fiber.interrupt(sender)
          for (;;) {
            while (pending.length < batchSize) {
              const next = yield* Queue.poll(queue)
              if (next._tag === "None") break
              pending.push(next.value)
            }
            if (pending.length === 0) return
            yield* send(takePending())
          }
        }).pipe(Effect.timeout(shutdownFlushTime), Effect.ignore)
      )

      const enqueue = (payload: Payload | undefined) =>
        payload === undefined
          ? Effect.void
          : Effect.flatMap(Queue.offer(queue, payload), (accepted) =>
            accepted ? Effect.void : Effect.sync(() => metrics.trackingDropped.inc({ reason: "queue_full" })))

      return Tracking.of({
        suggestionRequested: (event) =>
          Effect.suspend(() =>
            enqueue(core.track(
              buildStructEvent({ category: "code_suggestions", action: "suggestion_requested" }),
              [{
                schema: contextSchema,
                data: {
                  request_counts: event.requestCounts,
                  prefix_length: event.prefixLength,
                  suffix_length: event.suffixLength,
                  language: event.language,
                  user_agent: event.userAgent,
                  gitlab_realm: event.gitlabRealm,
                  gitlab_instance_id: event.gitlabInstanceId,
                  gitlab_global_user_id: event.gitlabGlobalUserId,
                  gitlab_host_name: event.gitlabHostName,
                  gitlab_saas_namespace_ids: event.gitlabSaasNamespaceIds,
                  gitlab_saas_duo_pro_namespace_ids: event.gitlabSaasDuoProNamespaceIds,
                },
              }],
            ))
          ),
        completionTokens: (kind, tokens) =>
          Effect.suspend(() =>
            enqueue(core.track(
              buildStructEvent({
                category: "code_suggestions",
                action: `tokens_per_user_request_${kind}`,
                label: "code_completion",
                value: tokens(),
              }),
            ))
          ),
      })
    }),
  )
