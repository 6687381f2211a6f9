/**
 * An OIDC provider behind a private CA: without the CA, the log line names the certificate
 * problem and NODE_EXTRA_CA_CERTS; with the CA trusted, the keys are fetched and the gateway
 * becomes ready. The certificate is made here, for 127.0.0.1, with openssl.
 */
import { execFileSync } from "node:child_process"
import { once } from "node:events"
import { mkdtempSync, readFileSync } from "node:fs"
import { createServer, type Server } from "node:https"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as jose from "jose"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { eventually } from "../support/eventually.ts"
import { type RunningGateway, startGateway } from "../support/process.ts"

const dir = mkdtempSync(join(tmpdir(), "aigw-tls-"))
const certFile = join(dir, "cert.pem")
let server: Server
let issuer = ""
const running: Array<RunningGateway> = []

beforeAll(async () => {
  execFileSync("openssl", [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-subj",
    "/CN=127.0.0.1",
    "-addext",
    "subjectAltName=IP:127.0.0.1",
    "-keyout",
    join(dir, "key.pem"),
    "-out",
    certFile,
  ], { stdio: "ignore" })
  const { publicKey } = await jose.generateKeyPair("RS256", { extractable: true })
  const jwk = { ...(await jose.exportJWK(publicKey)), kid: "k1", alg: "RS256", use: "sig" }
  server = createServer(
    { key: readFileSync(join(dir, "key.pem")), cert: readFileSync(certFile) },
    (request, response) => {
      response.setHeader("content-type", "application/json")
      response.end(JSON.stringify(
        request.url === "/.well-known/openid-configuration"
          ? { issuer, jwks_uri: `${issuer}/oauth/discovery/keys` }
          : { keys: [jwk] },
      ))
    },
  )
  server.listen(0, "127.0.0.1")
  await once(server, "listening")
  issuer = `https://127.0.0.1:${(server.address() as { port: number }).port}`
})
afterAll(() => {
  for (const gateway of running) gateway.child.kill("SIGKILL")
  server.close()
})

const start = async (env: Record<string, string>) => {
  const gateway = await startGateway("node", {
    AIGW_AUTH__BYPASS_EXTERNAL: "false",
    AIGW_GITLAB_URL: issuer,
    AIGW_CUSTOMER_PORTAL_URL: issuer,
    ...env,
  })
  running.push(gateway)
  return gateway
}

describe("OIDC provider behind a private CA", () => {
  it("logs the certificate problem and the NODE_EXTRA_CA_CERTS fix", async () => {
    const gateway = await start({})
    await eventually(() =>
      expect(gateway.output()).toMatch(
        /TLS: self-signed certificate \(DEPTH_ZERO_SELF_SIGNED_CERT\); trust your CA with NODE_EXTRA_CA_CERTS/,
      )
    )
    expect(gateway.output()).not.toContain('"reason":"Transport error')
    expect((await fetch(`${gateway.baseUrl}/monitoring/ready`)).status).toBe(503)
  })

  it("fetches the keys once the CA is trusted", async () => {
    const gateway = await start({ NODE_EXTRA_CA_CERTS: certFile })
    await eventually(async () =>
      expect((await fetch(`${gateway.baseUrl}/monitoring/ready`)).status).toBe(200)
    )
    expect(gateway.output()).not.toContain("TLS:")
  })
})
