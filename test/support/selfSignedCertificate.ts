/**
 * A self-signed certificate for 127.0.0.1, made with openssl in a fresh temporary directory: for
 * HTTPS fakes that the gateway does not trust unless told to (`NODE_EXTRA_CA_CERTS: certFile`).
 */
import { execFileSync } from "node:child_process"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

export interface SelfSignedCertificate {
  readonly key: Buffer
  readonly cert: Buffer
  /** The certificate's PEM file, which is also its own CA. */
  readonly certFile: string
}

export const makeSelfSignedCertificate = (): SelfSignedCertificate => {
  const dir = mkdtempSync(join(tmpdir(), "aigw-tls-"))
  const keyFile = join(dir, "key.pem")
  const certFile = join(dir, "cert.pem")
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
    keyFile,
    "-out",
    certFile,
  ], { stdio: "ignore" })
  return { key: readFileSync(keyFile), cert: readFileSync(certFile), certFile }
}
