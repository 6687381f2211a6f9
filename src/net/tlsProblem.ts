/**
 * Names a TLS failure found anywhere in an error's cause chain, with its fix, so an upstream or
 * OIDC provider behind a private CA does not show as a bare "Transport error" (indistinguishable
 * from a DNS failure). `undefined` when the failure is not about certificates.
 */
const certificateCodes: Readonly<Record<string, string>> = {
  SELF_SIGNED_CERT_IN_CHAIN: "self-signed certificate in certificate chain",
  DEPTH_ZERO_SELF_SIGNED_CERT: "self-signed certificate",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "unable to verify the first certificate",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "unable to get local issuer certificate",
  UNABLE_TO_GET_ISSUER_CERT: "unable to get issuer certificate",
  CERT_HAS_EXPIRED: "certificate has expired",
  CERT_NOT_YET_VALID: "certificate is not yet valid",
  ERR_TLS_CERT_ALTNAME_INVALID: "certificate does not name this host",
}

export const trustHint = "trust your CA with NODE_EXTRA_CA_CERTS=/path/to/ca.pem (Deno: DENO_CERT)"

const links = ["cause", "reason", "error"] as const

export const tlsProblem = (error: unknown): string | undefined => {
  let current: unknown = error
  for (let depth = 0; depth < 8 && typeof current === "object" && current !== null; depth++) {
    const { code, message } = current as { readonly code?: unknown; readonly message?: unknown }
    if (typeof code === "string" && code in certificateCodes) {
      const fix = code === "ERR_TLS_CERT_ALTNAME_INVALID" || code.startsWith("CERT_")
        ? "fix the server's certificate"
        : trustHint
      return `TLS: ${certificateCodes[code]} (${code}); ${fix}`
    }
    // Deno's fetch reports rustls errors by message only.
    if (typeof message === "string" && /invalid peer certificate|certificate verify failed/i.test(message)) {
      return `TLS: ${message}; ${trustHint}`
    }
    const next = links.map((link) => (current as Record<string, unknown>)[link]).find((value) =>
      typeof value === "object" && value !== null
    )
    current = next
  }
  return undefined
}
