/**
 * Request context: the request id, the log correlation, the timing headers, the HTTP metrics and
 * the access log.
 *
 * - `X-Request-ID`: the incoming one when it is a sane token, else a new UUID; echoed on every
 *   response and used as `correlation_id` on every log line of the request.
 * - `X-Process-Time`: seconds spent producing the response (to its headers for streams).
 * - Access log: one `api.access` line per request with the SPEC §7 fields and what the request's
 *   code recorded (RequestFacts: model, language, auth outcome), except for the monitoring and
 *   metrics paths, which probes call every few seconds. A streamed answer is logged, and its
 *   duration measured, when the stream ends (SPEC §11).
 * - `http_request_duration_seconds` / `http_requests_total` by route template, method and status
 *   class, monitoring and metrics paths excluded.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as References from "effect/References"
import * as Stream from "effect/Stream"
import * as HttpBody from "effect/http/HttpBody"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import { cachedSeries, Metrics, type MetricsShape } from "../../observability/Metrics.ts"
import { makeRequestFacts, RequestFacts, type RequestFactsShape } from "../../observability/RequestFacts.ts"
import { stripAiPrefix } from "./aiPrefix.ts"
import { type PeerAddress, WebPeerAddress } from "./clientAddress.ts"
import { pathOf } from "../requestPath.ts"

const requestIdShape = /^[\w.:@+=/-]{1,200}$/

const monitoringPath = /^(?:\/ai)?\/(?:monitoring\/|metrics(?:$|[/?]))/

/** Whether a request path is a probe or scrape that the access log and metrics leave out. */
export const isMonitoringPath = (url: string) => monitoringPath.test(url)

interface NodeLikeSource {
  readonly httpVersion?: string
  readonly socket?: { readonly remotePort?: number }
}

// The Node adapter exposes its IncomingMessage as `source`; web adapters pass the peer instead.
const transportFacts = (source: object, webPeer: PeerAddress | undefined) => {
  const node = source as NodeLikeSource
  return {
    httpVersion: node.httpVersion ?? "1.1",
    clientPort: node.socket?.remotePort ?? webPeer?.port ?? null,
  }
}

/** The process CPU seconds read in the current event-loop turn; `null` until read in it. */
let cpuInThisTurn: number | undefined | null = null
const forgetCpuReading = () => {
  cpuInThisTurn = null
}

/**
 * Process CPU seconds, read once per event-loop turn: the requests that start or end in one turn
 * share its reading (a `getrusage` per request start and end was ~3 % of a proxied request's
 * CPU). Where the runtime has no `process.cpuUsage`, `cpu_s` is null.
 */
const cpuSeconds = (): number | undefined => {
  if (cpuInThisTurn === null) {
    const usage = globalThis.process?.cpuUsage?.()
    cpuInThisTurn = usage === undefined ? undefined : (usage.user + usage.system) / 1e6
    setImmediate(forgetCpuReading)
  }
  return cpuInThisTurn
}

const header = (request: HttpServerRequest.HttpServerRequest, name: string) => request.headers[name] ?? null

const roundMicros = (seconds: number) => Math.round(seconds * 1e6) / 1e6

/**
 * The route template a request matched, for metric labels: the served path (with the `/ai`
 * prefix when the request used it, so SaaS traffic stays apart), or `none` for unknown paths, so
 * scanners cannot create unbounded series.
 */
const routeTemplate = (path: string, servedPaths: ReadonlySet<string>) => {
  const normalized = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path
  return servedPaths.has(stripAiPrefix(normalized)) ? normalized : "none"
}

interface Finished {
  readonly request: HttpServerRequest.HttpServerRequest
  /** The request's path, without its query. */
  readonly path: string
  readonly webPeer: PeerAddress | undefined
  readonly facts: RequestFactsShape
  readonly status: number
  readonly startedAt: number
  readonly cpuAtStart: number | undefined
  readonly handler: string
}

/** The HTTP series of one route template, method and status class. */
interface HttpSeries {
  readonly observeDuration: (seconds: number) => void
  readonly count: () => void
}

/**
 * The HTTP series per handler, method and status class: all bounded (served paths or `none`, the
 * methods Node parses, five classes).
 */
const httpSeriesOf = cachedSeries(
  (metrics, handler: string, method: string, statusClass: string): HttpSeries => {
    const labels = { handler, method, status: statusClass }
    const duration = metrics.httpRequestDuration.labels(labels)
    const requests = metrics.httpRequests.labels(labels)
    return { observeDuration: (seconds) => duration.observe(seconds), count: () => requests.inc() }
  },
)

/** The HTTP metrics and the access log line of a finished request. */
const record = (metrics: MetricsShape, finished: Finished) => {
  const { request, status } = finished
  const seconds = (performance.now() - finished.startedAt) / 1000
  const series = httpSeriesOf(metrics, finished.handler, request.method, `${Math.floor(status / 100)}xx`)
  series.observeDuration(seconds)
  series.count()
  const cpuAtEnd = cpuSeconds()
  const { httpVersion, clientPort } = transportFacts(request.source, finished.webPeer)
  return Effect.logInfo(`${request.method} ${finished.path} ${status}`, {
    logger: "api.access",
    url: request.originalUrl,
    path: finished.path,
    status_code: status,
    method: request.method,
    http_version: httpVersion,
    client_ip: Option.getOrNull(request.remoteAddress),
    client_port: clientPort,
    duration_s: roundMicros(seconds),
    cpu_s: finished.cpuAtStart === undefined || cpuAtEnd === undefined
      ? null
      : roundMicros(cpuAtEnd - finished.cpuAtStart),
    user_agent: header(request, "user-agent"),
    gitlab_instance_id: header(request, "x-gitlab-instance-id"),
    gitlab_global_user_id: header(request, "x-gitlab-global-user-id"),
    gitlab_host_name: header(request, "x-gitlab-host-name"),
    gitlab_saas_namespace_ids: header(request, "x-gitlab-saas-namespace-ids"),
    gitlab_saas_duo_pro_namespace_ids: header(request, "x-gitlab-saas-duo-pro-namespace-ids"),
    gitlab_realm: header(request, "x-gitlab-realm"),
    // A part of its own: the line logger merges it after the fields above, without a copy here.
  }, finished.facts.fields)
}

/** The request's correlation id on every log line, and (for logged requests) its facts record. */
const withCorrelation =
  (requestId: string, facts: RequestFactsShape | undefined) => <R>(context: Context.Context<R>) => {
    const annotations = Context.getUnsafe(context, References.CurrentLogAnnotations)
    const annotated = Context.add(context, References.CurrentLogAnnotations, {
      ...annotations,
      correlation_id: requestId,
    })
    return facts === undefined ? annotated : Context.add(annotated, RequestFacts, facts)
  }

/** Wraps the whole app: ids, correlation, timing headers, HTTP metrics, access log. */
export const requestContext = (servedPaths: ReadonlySet<string>) => {
  return <E, R>(
    app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>,
  ): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest> =>
    Effect.withFiber((fiber) => {
      const context = fiber.context
      const request = Context.getUnsafe(context, HttpServerRequest.HttpServerRequest)
      const startedAt = performance.now()
      const incoming = request.headers["x-request-id"]
      const requestId = incoming !== undefined && requestIdShape.test(incoming)
        ? incoming
        : crypto.randomUUID()
      const timed = (response: HttpServerResponse.HttpServerResponse) =>
        HttpServerResponse.setHeaders(response, {
          "x-request-id": requestId,
          "x-process-time": String(roundMicros((performance.now() - startedAt) / 1000)),
        })
      if (isMonitoringPath(request.url)) {
        return Effect.updateContext(Effect.map(app, timed), withCorrelation(requestId, undefined))
      }
      const webPeer = Context.getUnsafe(context, WebPeerAddress)
      const metrics = Context.getUnsafe(context, Metrics)
      const cpuAtStart = cpuSeconds()
      const facts = makeRequestFacts()
      const finish = (response: HttpServerResponse.HttpServerResponse) => {
        const answered = timed(response)
        const path = pathOf(request.url)
        const finished: Finished = {
          request,
          path,
          webPeer,
          facts,
          status: response.status,
          startedAt,
          cpuAtStart,
          handler: routeTemplate(path, servedPaths),
        }
        const body = answered.body
        if (body._tag !== "Stream") return Effect.as(record(metrics, finished), answered)
        // A stream is still running: its line and duration are taken when it ends, however it ends.
        return Effect.succeed(HttpServerResponse.setBody(
          answered,
          HttpBody.stream(
            Stream.onExit(
              body.stream,
              () => record(metrics, finished).pipe(Effect.annotateLogs("correlation_id", requestId)),
            ),
            body.contentType,
            body.contentLength,
          ),
        ))
      }
      return Effect.updateContext(Effect.flatMap(app, finish), withCorrelation(requestId, facts))
    }) as Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest>
}
