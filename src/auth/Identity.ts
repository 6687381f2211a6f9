/**
 * Identity: who sent the request, as the verified token says (SPEC §2). The authentication
 * middleware provides it to every handler of a protected group, so handlers, logs and rate
 * limits read `sub`, `iss`, `gitlab_realm` and `scopes` from one place.
 */
import * as Context from "effect/Context"

export interface IdentityShape {
  /** `sub`: the instance UUID on CustomersDot tokens; absent on GitLab.com tokens. */
  readonly subject: string | undefined
  /** `iss`, without a trailing slash: the OIDC provider that issued the token. */
  readonly issuer: string
  /** `gitlab_realm`: `saas` or `self-managed`. */
  readonly gitlabRealm: string | undefined
  /** `scopes`: the features the token grants. */
  readonly scopes: ReadonlySet<string>
  /** `exp`, Unix seconds. */
  readonly expiresAt: number
  /** `gitlab_instance_id`: the GitLab instance the token was issued for, when it says so. */
  readonly gitlabInstanceId: string | undefined
  /** `duo_seat_count`, as the token carries it. */
  readonly duoSeatCount: string | number | undefined
  /**
   * Issued by aigw itself for direct access (`iss: gitlab-ai-gateway`): accepted on the
   * completion routes only, and never exchanged for another token.
   */
  readonly isSelfIssued: boolean
  /**
   * The bypass user (`AIGW_AUTH__BYPASS_EXTERNAL=true`): no token was checked and every scope
   * is granted, whatever `scopes` lists.
   */
  readonly isDebug: boolean
}

export class Identity extends Context.Service<Identity, IdentityShape>()("aigw/auth/Identity") {}

/** Whether the identity may use a feature. The debug user may use every feature. */
export const hasScope = (identity: IdentityShape, scope: string): boolean =>
  identity.isDebug || identity.scopes.has(scope)

/** The identity of every request when authentication is bypassed. */
export const debugIdentity: IdentityShape = {
  subject: "debug-user",
  issuer: "aigw-auth-bypass",
  gitlabRealm: undefined,
  scopes: new Set(),
  expiresAt: Number.MAX_SAFE_INTEGER,
  gitlabInstanceId: undefined,
  duoSeatCount: undefined,
  isSelfIssued: false,
  isDebug: true,
}
