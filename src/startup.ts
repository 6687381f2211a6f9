/**
 * The start-up steps both runtime adapters take before serving: the environment merged over
 * `.env`, the development defaults under `--dev`, the configuration parsed, and the catalog file
 * checked. A problem is one line for stderr (and exit code 1); nothing here runs an effect.
 */
import { Result } from "effect"
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
    isDevelopment(sources.args) ? { ...developmentDefaults, ...environment } : environment,
  )
  if (Result.isFailure(parsed)) return Result.fail(parsed.failure.line)
  const catalogProblem = catalogFileProblem(parsed.success.models.catalogFile, sources.readTextFile)
  return catalogProblem === undefined ? Result.succeed(parsed.success) : Result.fail(catalogProblem)
}
