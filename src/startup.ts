/**
 * The start-up steps both runtime adapters take before serving: the environment merged over
 * `.env`, the development defaults under `--dev`, the configuration parsed, and the catalog file
 * checked. A problem is one line for stderr (and exit code 1); nothing here runs an effect.
 */
import * as Result from "effect/Result"
import { type AppConfigShape, parseAppConfig } from "./config/AppConfig.ts"
import { developmentDefaults } from "./config/development.ts"
import { mergeDotenv } from "./config/dotenv.ts"
import { catalogFileProblem } from "./models/catalog.ts"

export interface StartupSources {
  readonly args: ReadonlyArray<string>
  readonly environment: Readonly<Record<string, string | undefined>>
  /** Reads a file as text; throws when it cannot (the catalog check reports why). */
  readonly readTextFile: (path: string) => string
}

/** Whether the adapter was started with `--dev` (`npm run dev`). */
export const isDevelopment = (args: ReadonlyArray<string>) => args.includes("--dev")

/** The mode the start line names. */
export const startMode = (args: ReadonlyArray<string>) => isDevelopment(args) ? "development" : "production"

/**
 * Development defaults under `--dev`, then the environment and `.env` over them, except empty
 * values: empty means unset, so a `.env` copied from a template cannot turn the docs, mock
 * models or bypass off by leaving a variable blank.
 */
const withDevelopmentDefaults = (environment: Readonly<Record<string, string | undefined>>) => {
  const set = Object.entries(environment).filter(([, value]) => value !== undefined && value !== "")
  return { ...developmentDefaults, ...Object.fromEntries(set) }
}

/**
 * The one line for a listener that cannot bind, e.g. `cannot listen on 0.0.0.0:5052: address
 * already in use (EADDRINUSE); set AIGW_FASTAPI__API_PORT`.
 */
export const listenFailureLine = (
  cause: unknown,
  listener: { readonly host: string; readonly port: number; readonly variable: string },
): string => {
  const error = cause as { readonly code?: unknown; readonly message?: unknown; readonly name?: unknown }
  const code = typeof error?.code === "string"
    ? error.code
    : typeof error?.name === "string"
    ? error.name
    : ""
  const reason = code === "EADDRINUSE" || code === "AddrInUse"
    ? "address already in use"
    : code === "EACCES" || code === "PermissionDenied"
    ? "permission denied"
    : code === "EADDRNOTAVAIL" || code === "AddrNotAvailable"
    ? "address not available on this machine"
    : String(error?.message ?? cause)
  return `cannot listen on ${listener.host}:${listener.port}: ${reason}${code === "" ? "" : ` (${code})`}; ` +
    `change ${listener.variable} or stop the other process`
}

const readOptional = (read: (path: string) => string, path: string): string | undefined => {
  try {
    return read(path)
  } catch {
    return undefined
  }
}

/** The checked configuration, or the one line that says what is wrong. */
export const loadConfiguration = (sources: StartupSources): Result.Result<AppConfigShape, string> => {
  const environment = mergeDotenv(sources.environment, readOptional(sources.readTextFile, ".env"))
  const parsed = parseAppConfig(
    isDevelopment(sources.args) ? withDevelopmentDefaults(environment) : environment,
  )
  if (Result.isFailure(parsed)) return Result.fail(parsed.failure.line)
  const catalogProblem = catalogFileProblem(parsed.success.models.catalogFile, sources.readTextFile)
  return catalogProblem === undefined ? Result.succeed(parsed.success) : Result.fail(catalogProblem)
}
