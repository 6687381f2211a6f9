/**
 * The environment aigw is configured from: the process environment merged over the variables
 * of a `.env` file, as pydantic-settings did for the original (the real environment wins).
 */
import { parse } from "dotenv"

/** Merges `.env` text under the real environment; a missing file is passed as `undefined`. */
export const mergeDotenv = (
  environment: Readonly<Record<string, string | undefined>>,
  dotenvText: string | undefined,
): Record<string, string | undefined> => {
  const fromFile = dotenvText === undefined ? {} : parse(dotenvText)
  return { ...fromFile, ...definedOnly(environment) }
}

const definedOnly = (record: Readonly<Record<string, string | undefined>>) =>
  Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined))
