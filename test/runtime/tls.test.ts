/**
 * An OIDC provider behind a private CA: without the CA, the log line names the certificate
 * problem and NODE_EXTRA_CA_CERTS; with the CA trusted, the keys are fetched and the gateway
 * becomes ready. The certificate is made here, for 127.0.0.1, with openssl.
 */
import { once } from "node:events"
import { createServer, type Server } from "node:https"
import * as jose from "jose"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { eventually } from "../support/eventually.ts"
import { makeSelfSignedCertificate } from "../support/selfSignedCertificate.ts"
import { type RunningGateway, startGateway } from "../support/process.ts"

const { key, cert, certFile } = makeSelfSignedCertificate()
let server: Server
let issuer = ""
const running: Array<RunningGateway> = []

beforeAll(async () => {
  const { publicKey } = await jose.generateKeyPair("RS256", { extractable: true })
  const jwk = { ...(await jose.exportJWK(publicKey)), kid: "k1", alg: "RS256", use: "sig" }
  server = createServer(
    { key, cert },
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
