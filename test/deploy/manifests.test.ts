/**
 * The shipped deployment files: every Kubernetes manifest validates against the Kubernetes
 * schemas (kubernetes-models) and wires what the docs promise (probes, drain, non-root, scaling);
 * the compose file parses and has N replicas behind one published port, Redis, and health checks.
 */
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import * as apps from "kubernetes-models/apps/v1"
import * as autoscaling from "kubernetes-models/autoscaling/v2"
import * as networking from "kubernetes-models/networking.k8s.io/v1"
import * as core from "kubernetes-models/v1"
import * as policy from "kubernetes-models/policy/v1"
import { describe, expect, it } from "vitest"
import { parse as parseYaml, parseAllDocuments } from "yaml"
import { parseAppConfig } from "../../src/config/AppConfig.ts"
import { npmStartFlags, npmStartWords } from "../support/npmStart.ts"
import { Result } from "effect"

const deployDir = join(import.meta.dirname, "..", "..", "deploy")
const k8sDir = join(deployDir, "k8s")

interface Validatable {
  validate(): void
}
type Model = new (value: never) => Validatable

const models: Readonly<Record<string, Model>> = {
  "v1/Namespace": core.Namespace,
  "v1/ConfigMap": core.ConfigMap,
  "v1/Secret": core.Secret,
  "v1/Service": core.Service,
  "apps/v1/Deployment": apps.Deployment,
  "autoscaling/v2/HorizontalPodAutoscaler": autoscaling.HorizontalPodAutoscaler,
  "policy/v1/PodDisruptionBudget": policy.PodDisruptionBudget,
  "networking.k8s.io/v1/Ingress": networking.Ingress,
}

interface Manifest {
  readonly apiVersion: string
  readonly kind: string
  readonly metadata: { readonly name: string }
  readonly [key: string]: unknown
}

const manifestFiles = readdirSync(k8sDir).filter((file) =>
  file.endsWith(".yaml") && file !== "kustomization.yaml"
)

const manifests: Array<Manifest & { readonly file: string }> = manifestFiles.flatMap((file) =>
  parseAllDocuments(readFileSync(join(k8sDir, file), "utf8")).map((document) => {
    expect(document.errors, file).toEqual([])
    return { ...(document.toJS() as Manifest), file }
  })
)

const find = (kind: string, name: string) => {
  const manifest = manifests.find((entry) => entry.kind === kind && entry.metadata.name === name)
  expect(manifest, `${kind} ${name}`).toBeDefined()
  return manifest as never
}

describe("Kubernetes manifests", () => {
  it("each validates against its Kubernetes schema", () => {
    expect(manifests.length).toBeGreaterThanOrEqual(9)
    for (const manifest of manifests) {
      const { file, ...value } = manifest
      const model = models[`${value.apiVersion}/${value.kind}`]
      expect(model, `${file}: ${value.apiVersion} ${value.kind}`).toBeDefined()
      expect(() => new model!(value as never).validate(), file).not.toThrow()
    }
  })

  it("lists in kustomization.yaml every manifest but the examples", () => {
    const kustomization = parseYaml(readFileSync(join(k8sDir, "kustomization.yaml"), "utf8")) as {
      resources: Array<string>
    }
    expect([...kustomization.resources].sort()).toEqual(
      manifestFiles.filter((file) => !file.endsWith(".example.yaml")).sort(),
    )
  })

  it("runs aigw non-root on a read-only root, probed on healthz and ready, draining within the grace period", () => {
    const deployment: apps.IDeployment = find("Deployment", "aigw")
    const pod = deployment.spec!.template.spec!
    const container = pod.containers.find((entry) => entry.name === "aigw")!
    expect(pod.securityContext?.runAsNonRoot).toBe(true)
    expect(container.securityContext?.readOnlyRootFilesystem).toBe(true)
    expect(container.securityContext?.allowPrivilegeEscalation).toBe(false)
    expect(container.livenessProbe?.httpGet?.path).toBe("/monitoring/healthz")
    expect(container.readinessProbe?.httpGet?.path).toBe("/monitoring/ready")
    expect(container.resources?.requests?.cpu).toBeDefined()
    expect(container.resources?.limits?.memory).toBeDefined()
    const preStop = container.lifecycle?.preStop?.exec?.command ?? []
    const preStopSeconds = preStop[0] === "sleep" ? Number(preStop[1]) : Number.NaN
    expect(preStopSeconds).toBeGreaterThan(0)
    // preStop, then SIGTERM and up to 30 s of drain, all before the kill.
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(preStopSeconds + 30)
    const mounts = container.volumeMounts?.map((mount) => mount.mountPath)
    expect(mounts).toContain("/tmp")
    const sources = container.envFrom?.map((source) => source.configMapRef?.name ?? source.secretRef?.name)
    expect(sources).toEqual(["aigw-config", "aigw-secrets"])
  })

  it("configures a valid AIGW environment with Redis-shared rate limits, and a Secret with the signing key", () => {
    const config: core.IConfigMap = find("ConfigMap", "aigw-config")
    const parsed = parseAppConfig(config.data!)
    expect(Result.isSuccess(parsed), Result.isFailure(parsed) ? parsed.failure.line : "").toBe(true)
    if (Result.isSuccess(parsed)) {
      expect(parsed.success.rateLimit.enabled).toBe(true)
      expect(parsed.success.rateLimit.redisUrl).toBeDefined()
    }
    expect(config.data!.AIGW_WORKERS).toMatch(/^\d+$/)
    const redisHost = new URL(config.data!.AIGW_RATE_LIMIT__REDIS_URL!).hostname
    find("Service", redisHost)
    const secret: core.ISecret = find("Secret", "aigw-secrets")
    expect(Object.keys(secret.stringData ?? {})).toContain("AIGW_SELF_SIGNED_JWT__SIGNING_KEY")
  })

  it("routes the example Ingress with TLS to the Service's API port", () => {
    const ingress: networking.IIngress = find("Ingress", "aigw")
    expect(ingress.spec!.tls?.[0]?.secretName).toBeDefined()
    const backend = ingress.spec!.rules?.[0]?.http?.paths[0]?.backend.service
    const service: core.IService = find("Service", "aigw")
    expect(service.spec!.ports?.map((port) => port.name)).toContain(backend?.port?.name)
    expect(backend?.name).toBe("aigw")
  })

  it("scales the Deployment on CPU, keeps one pod through disruptions, and serves both ports", () => {
    const hpa: autoscaling.IHorizontalPodAutoscaler = find("HorizontalPodAutoscaler", "aigw")
    expect(hpa.spec!.scaleTargetRef).toMatchObject({ kind: "Deployment", name: "aigw" })
    expect(hpa.spec!.metrics?.[0]?.resource?.name).toBe("cpu")
    const pdb: policy.IPodDisruptionBudget = find("PodDisruptionBudget", "aigw")
    const deployment: apps.IDeployment = find("Deployment", "aigw")
    expect(pdb.spec!.selector?.matchLabels).toEqual(deployment.spec!.selector.matchLabels)
    const service: core.IService = find("Service", "aigw")
    expect(service.spec!.selector).toEqual(deployment.spec!.selector.matchLabels)
    expect(service.spec!.ports?.map((port) => port.targetPort)).toEqual(["http", "metrics"])
  })
})

interface ComposeService {
  readonly image?: string
  readonly build?: unknown
  readonly deploy?: { readonly replicas?: unknown }
  readonly env_file?: ReadonlyArray<string>
  readonly environment?: Readonly<Record<string, string>>
  readonly ports?: ReadonlyArray<string>
  readonly healthcheck?: { readonly test: ReadonlyArray<string> }
  readonly depends_on?: unknown
  readonly read_only?: boolean
  readonly stop_grace_period?: string
  readonly volumes?: ReadonlyArray<string>
  readonly profiles?: ReadonlyArray<string>
}

describe("docker-compose.yaml", () => {
  const compose = parseYaml(readFileSync(join(deployDir, "docker-compose.yaml"), "utf8")) as {
    services: Record<string, ComposeService>
  }
  const { aigw, redis, loadbalancer } = compose.services

  it("runs N aigw replicas with workers, env from the env file, Redis-shared limits and health checks", () => {
    expect(aigw?.deploy?.replicas).toBe("${AIGW_REPLICAS:-3}")
    expect(aigw?.env_file).toEqual(["../.env"])
    expect(aigw?.environment?.AIGW_WORKERS).toBeDefined()
    expect(new URL(aigw!.environment!.AIGW_RATE_LIMIT__REDIS_URL!).hostname).toBe("redis")
    expect(aigw?.healthcheck?.test.join(" ")).toContain("/monitoring/healthz")
    expect(aigw?.read_only).toBe(true)
    expect(parseInt(aigw!.stop_grace_period!, 10)).toBeGreaterThanOrEqual(30)
    // Replicas publish nothing: the load balancer is the one way in.
    expect(aigw?.ports).toBeUndefined()
    expect(redis?.healthcheck).toBeDefined()
  })

  it("publishes one port on the load balancer, which routes to ready replicas", () => {
    // Optional services (profiles, e.g. Prometheus on 127.0.0.1) aside.
    const published = Object.values(compose.services)
      .filter((service) => service.profiles === undefined)
      .flatMap((service) => service.ports ?? [])
    expect(published).toHaveLength(loadbalancer!.ports!.length)
    expect(loadbalancer?.ports).toEqual(["${AIGW_PUBLISHED_PORT:-5052}:8080"])
    const haproxy = readFileSync(join(deployDir, "haproxy.cfg"), "utf8")
    expect(loadbalancer?.volumes?.[0]).toMatch(/^\.\/haproxy\.cfg:/)
    expect(haproxy).toMatch(/option httpchk GET \/monitoring\/ready/)
    expect(haproxy).toMatch(/bind :8080/)
    expect(haproxy).toMatch(/server-template aigw \d+ aigw:5052/)
  })

  it("trusts X-Forwarded-For from its own network only", () => {
    const subnet =
      (compose as unknown as { networks: { aigw: { ipam: { config: Array<{ subnet: string }> } } } })
        .networks.aigw.ipam.config[0]!.subnet
    expect(aigw?.environment?.AIGW_HTTP__TRUSTED_PROXIES).toBe(subnet)
  })
})

describe("Dockerfile", () => {
  const dockerfile = readFileSync(join(deployDir, "..", "Dockerfile"), "utf8")
  const command = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)![1]!) as Array<string>

  it("runs aigw with the Node flags and malloc settings of npm start", () => {
    expect(command.filter((word) => word.startsWith("--"))).toEqual(npmStartFlags())
    const tunables = npmStartWords().find((word) => word.startsWith("GLIBC_TUNABLES="))
    expect(tunables).toBeDefined()
    expect(dockerfile).toMatch(new RegExp(`^ENV ${tunables!.replaceAll(".", "\\.")}$`, "m"))
  })

  it("runs npm start's entry, with the compile cache filled at build for the CMD's flags and user", () => {
    expect(command.at(-1)).toBe(npmStartWords().at(-1))
    expect(dockerfile).toMatch(/^ENV NODE_COMPILE_CACHE=\S+$/m)
    // The cache's directory is keyed by the V8 flags and the user id: the warm-up runs as the CMD does.
    const lines = dockerfile.split("\n")
    const warmUp = lines.findIndex((line) => line.includes("src/warmCompileCache.mjs"))
    expect(lines[warmUp]).toBe(`RUN ${command.slice(0, -1).join(" ")} src/warmCompileCache.mjs`)
    expect(lines.slice(0, warmUp).filter((line) => line.startsWith("USER ")).at(-1)).toBe("USER node")
  })
})
