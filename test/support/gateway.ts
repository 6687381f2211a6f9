/**
 * The contract harness: the whole app in-process with auth ON against a local OIDC provider,
 * and the real provider SDKs talking to fake upstreams on 127.0.0.1. Requests carry real
 * RS256 tokens, as GitLab sends them.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { startTestApp, type TestApp } from "./app.ts"
import { type FakeUpstream, startFake } from "./fakes/server.ts"
import { type OidcProvider, startOidcProvider } from "./oidcProvider.ts"
import { legacyCatalogFile } from "./legacyCatalog.ts"
import { authHeaders, customersDotClaims, gitlabClaims } from "./tokens.ts"

export interface Gateway extends TestApp {
  /** AIGW_GITLAB_URL. */
  readonly oidc: OidcProvider
  /** AIGW_CUSTOMER_PORTAL_URL (CustomersDot, which signs self-managed instances' tokens). */
  readonly customersDot: OidcProvider
  readonly anthropic: FakeUpstream
  readonly vertex: FakeUpstream
  /** Headers of an authenticated GitLab.com request with these scopes. */
  readonly headers: (scopes?: ReadonlyArray<string>) => Promise<Record<string, string>>
  /** Headers of a self-managed instance's request, its token signed by CustomersDot. */
  readonly selfManagedHeaders: () => Promise<Record<string, string>>
  /** POSTs a JSON body with a valid token. */
  readonly post: (path: string, body: unknown, scopes?: ReadonlyArray<string>) => Promise<Response>
  readonly close: () => Promise<void>
}

export const vertexProject = "test-project"

/**
 * The environment that loads the original's models from a catalog file (legacyCatalog.ts), for
 * tests whose fakes answer in the April-2024 upstream shapes (`:predict`, Text Completions).
 */
export const legacyModels = (): Record<string, string> => ({ AIGW_MODELS__CATALOG_FILE: legacyCatalogFile() })

export const startGateway = async (env: Readonly<Record<string, string>> = {}): Promise<Gateway> => {
  const oidc = await startOidcProvider()
  const customersDot = await startOidcProvider()
  const anthropic = await startFake()
  const vertex = await startFake()
  const app = startTestApp({
    AIGW_AUTH__BYPASS_EXTERNAL: "false",
    AIGW_GITLAB_URL: oidc.url,
    AIGW_CUSTOMER_PORTAL_URL: customersDot.url,
    ANTHROPIC_API_KEY: "sk-ant-test-key",
    AIGW_ANTHROPIC__BASE_URL: anthropic.url,
    AIGW_VERTEX_TEXT_MODEL__PROJECT: vertexProject,
    AIGW_VERTEX_TEXT_MODEL__ENDPOINT: vertex.url,
    AIGW_VERTEX_TEXT_MODEL__ACCESS_TOKEN: "ya29.test-token",
    AIGW_LOGGING__LEVEL: "debug",
    ...env,
  })
  const headers = async (scopes: ReadonlyArray<string> = ["code_suggestions"]) => ({
    ...authHeaders(await oidc.sign(gitlabClaims(oidc.issuer, { scopes }), { kid: false })),
    "content-type": "application/json",
    "x-gitlab-instance-id": "instance-ABC",
    "x-gitlab-realm": "saas",
  })
  const selfManagedHeaders = async () => ({
    ...authHeaders(await customersDot.sign(customersDotClaims(customersDot.issuer))),
    "content-type": "application/json",
    "x-gitlab-instance-id": "instance-SM",
    "x-gitlab-realm": "self-managed",
  })
  return {
    ...app,
    oidc,
    customersDot,
    selfManagedHeaders,
    anthropic,
    vertex,
    headers,
    post: async (path, body, scopes) =>
      app.request(path, {
        method: "POST",
        headers: await headers(scopes),
        body: typeof body === "string" ? body : JSON.stringify(body),
      }),
    close: async () => {
      await app.dispose()
      await Promise.all([oidc.close(), customersDot.close(), anthropic.close(), vertex.close()])
    },
  }
}

export interface Fixture {
  readonly name: string
  readonly path: string
  readonly headers: Record<string, string>
  readonly body: Record<string, unknown>
  readonly expected_response?: { readonly status?: number; readonly body?: unknown }
}

const fixturesDirectory = join(import.meta.dirname, "..", "..", "..", "shared", "fixtures")

/** A request body as GitLab sends it, from ../shared/fixtures. */
export const loadFixture = (file: string): Fixture =>
  JSON.parse(readFileSync(join(fixturesDirectory, file), "utf8")) as Fixture

/** The rest of a stream whose first chunks the test has read itself, as one text. */
export const readRest = async (reader: ReadableStreamDefaultReader<Uint8Array>): Promise<string> => {
  const decoder = new TextDecoder()
  let rest = ""
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return rest + decoder.decode()
    rest += decoder.decode(value, { stream: true })
  }
}

/** Reads a streamed body chunk by chunk, as the IDE does. */
export const readChunks = async (response: Response): Promise<Array<string>> => {
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  const chunks: Array<string> = []
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return chunks
    chunks.push(decoder.decode(value, { stream: true }))
  }
}
