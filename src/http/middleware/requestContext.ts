/**
 * Request context: the request id, the log correlation, the timing headers and the access log.
 *
 * - `X-Request-ID`: the incoming one when it is a sane token, else a new UUID; echoed on every
 *   response and used as `correlation_id` on every log line of the request.
 * - `X-Process-Time`: seconds spent producing the response (to its headers for streams).
 * - Access log: one `api.access` line per request with the SPEC §7 fields, except for the
 *   monitoring and metrics paths, which probes call every few seconds.
 */
import { Effect, Option } from "effect"
import { HttpServerRequest, HttpServerResponse } from "effect/http"
import { type PeerAddress, WebPeerAddress } from "./clientAddress.ts"

const requestIdShape = /^[\w.:@+=/-]{1,200}$/

const monitoringPath = /^(?:\/ai)?\/(?:monitoring\/|metrics(?:$|[/?]))/

/** Whether a request path is a probe or scrape that the access log leaves out. */
export const isMonitoringPath = (url: string) => monitoringPath.test(url)

const pathOf = (url: string) => {
  const end = url.search(/[?#]/)
  return end === -1 ? url : url.slice(0, end)
}

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

const cpuSeconds = (): number | undefined => {
  const usage = globalThis.process?.cpuUsage?.()
  return usage === undefined ? undefined : (usage.user + usage.system) / 1e6
}

const header = (request: HttpServerRequest.HttpServerRequest, name: string) => request.headers[name] ?? null

const roundMicros = (seconds: number) => Math.round(seconds * 1e6) / 1e6

/** Wraps the whole app: ids, correlation, timing headers, access log. */
export const requestContext = <E, R>(
  app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>,
): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest> =>
  Effect.flatMap(
    Effect.service(HttpServerRequest.HttpServerRequest),
    (request) =>
      Effect.flatMap(Effect.service(WebPeerAddress), (webPeer) => {
        const startedAt = performance.now()
        const cpuAtStart = cpuSeconds()
        const incoming = request.headers["x-request-id"]
        const requestId = incoming !== undefined && requestIdShape.test(incoming)
          ? incoming
          : crypto.randomUUID()
        const finish = (response: HttpServerResponse.HttpServerResponse) => {
          const seconds = (performance.now() - startedAt) / 1000
          const answered = HttpServerResponse.setHeaders(response, {
            "x-request-id": requestId,
            "x-process-time": String(roundMicros(seconds)),
          })
          if (isMonitoringPath(request.url)) return Effect.succeed(answered)
          const cpuAtEnd = cpuSeconds()
          const { httpVersion, clientPort } = transportFacts(request.source, webPeer)
          return Effect.as(
            Effect.logInfo(`${request.method} ${pathOf(request.url)} ${response.status}`, {
              logger: "api.access",
              url: request.originalUrl,
              path: pathOf(request.url),
              status_code: response.status,
              method: request.method,
              http_version: httpVersion,
              client_ip: Option.getOrNull(request.remoteAddress),
              client_port: clientPort,
              duration_s: roundMicros(seconds),
              cpu_s: cpuAtStart === undefined || cpuAtEnd === undefined
                ? null
                : roundMicros(cpuAtEnd - cpuAtStart),
              user_agent: header(request, "user-agent"),
              gitlab_instance_id: header(request, "x-gitlab-instance-id"),
              gitlab_global_user_id: header(request, "x-gitlab-global-user-id"),
              gitlab_host_name: header(request, "x-gitlab-host-name"),
              gitlab_saas_namespace_ids: header(request, "x-gitlab-saas-namespace-ids"),
              gitlab_saas_duo_pro_namespace_ids: header(request, "x-gitlab-saas-duo-pro-namespace-ids"),
              gitlab_realm: header(request, "x-gitlab-realm"),
            }),
            answered,
          )
        }
        return app.pipe(
          Effect.flatMap(finish),
          Effect.annotateLogs("correlation_id", requestId),
        )
      }),
  )
