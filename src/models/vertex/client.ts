/**
 * Vertex AI connection details and credentials, built once per layer.
 *
 * - Base URL: `AIGW_VERTEX_TEXT_MODEL__ENDPOINT` is a host (`us-central1-aiplatform.googleapis.com`,
 *   meaning https) or a full `http(s)://` URL (tests, proxies).
 * - Credentials: the static `AIGW_VERTEX_TEXT_MODEL__ACCESS_TOKEN`, else Application Default
 *   Credentials through google-auth-library (which caches and refreshes the token). Both the
 *   REST calls and the @google/genai client take the token from `VertexCredentials` per call, so
 *   tests inject one token source for every path.
 *
 * Both Google packages are imported when first needed, not at start: together they cost about
 * 45 MB of resident memory (docs/decisions.md, "Memory at idle"), which a gateway that serves no
 * Gemini model and has no Application Default Credentials should not pay.
 */
import type { GoogleGenAI, GoogleGenAIOptions } from "@google/genai"
import type { GoogleAuth } from "google-auth-library"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { AppConfig } from "../../config/AppConfig.ts"
import type { ModelEntry } from "../catalog.ts"

export class CredentialsError extends Data.TaggedError("CredentialsError")<{ readonly cause: unknown }> {}

export class VertexCredentials extends Context.Service<VertexCredentials, {
  /** A bearer token for the next call. */
  readonly token: Effect.Effect<string, CredentialsError>
}>()("aigw/models/vertex/VertexCredentials") {
  static readonly layer = Layer.effect(
    VertexCredentials,
    Effect.map(Effect.service(AppConfig), (config) => {
      const configured = config.vertexTextModel.accessToken
      if (configured !== undefined) {
        return VertexCredentials.of({ token: Effect.succeed(Redacted.value(configured)) })
      }
      // Without a project Vertex is not configured: no Application Default Credentials lookup
      // (which probes the cloud metadata server and warns on stderr).
      if (config.vertexTextModel.project === undefined) {
        return VertexCredentials.of({
          token: Effect.fail(new CredentialsError({ cause: "AIGW_VERTEX_TEXT_MODEL__PROJECT is not set" })),
        })
      }
      // One client for the process: it caches the token and refreshes it before it expires.
      let auth: Promise<GoogleAuth> | undefined
      const defaultCredentials = () =>
        auth ??= import("google-auth-library").then(({ GoogleAuth }) =>
          new GoogleAuth({ scopes: ["https://www.googleapis.com/auth/cloud-platform"] })
        )
      return VertexCredentials.of({
        token: Effect.tryPromise({
          try: async () => {
            const token = await (await defaultCredentials()).getAccessToken()
            if (token === null || token === undefined) {
              throw new Error("no access token from default credentials")
            }
            return token
          },
          catch: (cause) => new CredentialsError({ cause }),
        }),
      })
    }),
  )

  /** A fixed token, for tests. */
  static readonly layerStatic = (token: string) =>
    Layer.succeed(VertexCredentials, VertexCredentials.of({ token: Effect.succeed(token) }))
}

export interface VertexLocation {
  readonly baseUrl: string
  readonly project: string
  readonly location: string
}

export const vertexBaseUrl = (endpoint: string): string =>
  (/^https?:\/\//.test(endpoint) ? endpoint : `https://${endpoint}`).replace(/\/+$/, "")

/** `…/v1/projects/{p}/locations/{l}/publishers/{publisher}/models/{model}:{method}` */
export const modelUrl = (
  where: VertexLocation,
  entry: ModelEntry,
  publisher: string,
  method: string,
): string =>
  `${where.baseUrl}/v1/projects/${encodeURIComponent(where.project)}/locations/${
    encodeURIComponent(where.location)
  }/publishers/${publisher}/models/${entry.upstream}:${method}`

/**
 * The genai SDK would otherwise resolve Application Default Credentials on its own; its auth
 * client adds nothing, and each call passes the `VertexCredentials` token as a header.
 */
const perCallAuth = { getRequestHeaders: () => Promise.resolve(new Headers()) } as unknown as NonNullable<
  NonNullable<GoogleGenAIOptions["googleAuthOptions"]>["authClient"]
>

/** The genai client, and the SDK's error class that carries an upstream status. */
export interface GenAi {
  readonly client: GoogleGenAI
  readonly ApiError: typeof import("@google/genai").ApiError
}

/** Imports @google/genai and builds its client for `where`. */
export const loadGenAi = (where: VertexLocation): Effect.Effect<GenAi, unknown> =>
  Effect.tryPromise({
    try: () => import("@google/genai"),
    catch: (cause) => cause,
  }).pipe(Effect.map(({ ApiError, GoogleGenAI }) => ({
    ApiError,
    client: new GoogleGenAI({
      vertexai: true,
      project: where.project,
      location: where.location,
      httpOptions: { baseUrl: where.baseUrl, apiVersion: "v1" },
      googleAuthOptions: { authClient: perCallAuth },
    }),
  })))
