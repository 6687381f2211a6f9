/**
 * The logger layer: one line per event, JSON (default) or plain text, to a sink (stdout) and
 * optionally appended to a file, at the level configured (SPEC §7).
 *
 * A line carries `timestamp`, `level`, `logger`, `event` and every log annotation, so the
 * `correlation_id` that the request middleware annotates appears on every line of a request.
 * Extra structured fields are passed as a second message argument:
 * `Effect.logInfo("access", { status_code: 200 })`.
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as References from "effect/References"
import type * as LogLevel from "effect/LogLevel"
import { AppConfig, type LogLevelName } from "../config/AppConfig.ts"

const flushAtChars = 64 * 1024

let stdoutGuarded = false
/**
 * A closed stdout (the reader of a pipe went away) must not crash the gateway, as it would with
 * an unhandled stream error; its lines are lost, as `console.log` would lose them.
 */
const guardStdout = () => {
  if (stdoutGuarded) return
  stdoutGuarded = true
  process.stdout.on("error", () => {})
}

/** Where finished lines go; production writes to stdout, tests collect them. */
export class LogSink extends Context.Service<LogSink, {
  readonly write: (line: string) => void
}>()("aigw/observability/LogSink") {
  /**
   * Lines written in one turn of the event loop go out in one `process.stdout.write` (a write
   * per line was a tenth of a proxied request's CPU; `console.log` formats its argument again),
   * or as soon as 64 KiB are pending; whatever is pending is written when the app shuts down.
   * Node writes to files, pipes and terminals synchronously on Linux, and Deno always, so a flush
   * at shutdown is out before the process exits.
   */
  static readonly layerStdout = Layer.effect(
    LogSink,
    Effect.gen(function* () {
      guardStdout()
      let pending = ""
      let scheduled = false
      const flush = () => {
        scheduled = false
        if (pending === "") return
        const chunk = pending
        pending = ""
        process.stdout.write(chunk)
      }
      yield* Effect.addFinalizer(() => Effect.sync(flush))
      return LogSink.of({
        write: (line) => {
          pending += `${line}\n`
          if (pending.length >= flushAtChars) flush()
          else if (!scheduled) {
            scheduled = true
            setImmediate(flush)
          }
        },
      })
    }),
  )

  /** Collects lines in memory; `lines` is shared with the test that built it. */
  static readonly layerMemory = (lines: Array<string>) =>
    Layer.succeed(LogSink, LogSink.of({ write: (line) => void lines.push(line) }))
}

const levelNames: Record<LogLevel.LogLevel, string> = {
  All: "debug",
  Trace: "debug",
  Debug: "debug",
  Info: "info",
  Warn: "warning",
  Error: "error",
  Fatal: "critical",
  None: "info",
}

const minimumLevels: Record<LogLevelName, LogLevel.LogLevel> = {
  debug: "Debug",
  info: "Info",
  warning: "Warn",
  error: "Error",
}

/** The annotation naming the component that logged, e.g. `api.access`. */
export const loggerName = (name: string) => Effect.annotateLogs("logger", name)

type LogRecord = Record<string, unknown>

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype

const toRecord = (options: Logger.Options<unknown>): LogRecord => {
  const record: LogRecord = {
    timestamp: options.date.toISOString(),
    level: levelNames[options.logLevel],
    logger: "aigw",
  }
  const annotations = options.fiber.getRef(References.CurrentLogAnnotations)
  for (const key in annotations) record[key] = annotations[key]
  // The words of the message, space-separated, without an array per line.
  let event: string | undefined
  const addPart = (part: unknown) => {
    if (isPlainObject(part)) {
      Object.assign(record, part)
      return
    }
    const word = typeof part === "string" ? part : safeJson(part)
    event = event === undefined ? word : `${event} ${word}`
  }
  const message = options.message
  if (Array.isArray(message)) { for (const part of message) addPart(part) }
  else addPart(message)
  record.event = event ?? ""
  if (options.cause.reasons.length > 0) record.exception = Cause.pretty(options.cause)
  return record
}

const safeJson = (value: unknown): string => {
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

const formatJsonLine = (record: LogRecord): string => safeJson(record)

/**
 * Control characters (and the Unicode line separators) as visible escapes, so that text from a
 * request (a token's `kid`, a header) cannot end a line and forge the next one.
 */
// deno-lint-ignore no-control-regex
const controlCharacters = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g
const escapeControl = (text: string): string =>
  text.replace(controlCharacters, (char) => {
    if (char === "\n") return "\\n"
    if (char === "\r") return "\\r"
    if (char === "\t") return "\\t"
    return `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`
  })

const formatTextLine = (record: LogRecord): string => {
  const { timestamp, level, logger, event, exception, ...fields } = record
  const text = (value: unknown) => escapeControl(typeof value === "string" ? value : safeJson(value))
  // Readable lines leave out empty facts (an access line's absent X-Gitlab-* headers); JSON keeps them.
  const rest = Object.entries(fields)
    .filter(([, value]) => value !== null && value !== undefined)
    .map(([key, value]) => `${escapeControl(key)}=${text(value)}`)
    .join(" ")
  const head = `${timestamp} ${String(level).toUpperCase().padEnd(8)} [${text(logger)}] ${text(event)}`
  const line = rest === "" ? head : `${head} ${rest}`
  if (exception === undefined) return line
  // A stack stays readable on its own lines, each indented so none can pass for a log line.
  const stack = String(exception).split("\n").map((stackLine) => `    ${escapeControl(stackLine)}`)
  return `${line}\n${stack.join("\n")}`
}

/** Formats log events as lines, in JSON or plain text. */
export const makeLineLogger = (formatJson: boolean): Logger.Logger<unknown, string> => {
  const format = formatJson ? formatJsonLine : formatTextLine
  return Logger.make((options) => format(toRecord(options)))
}

/**
 * The application's loggers and minimum level, from AppConfig. With `AIGW_LOGGING__TO_FILE`
 * the same lines are appended to that file (batched, flushed when the app shuts down).
 */
export const layer: Layer.Layer<never, never, AppConfig | LogSink | FileSystem.FileSystem> = Layer.unwrap(
  Effect.gen(function* () {
    const config = yield* AppConfig
    const sink = yield* LogSink
    const lineLogger = makeLineLogger(config.logging.formatJson)
    const toSink = Logger.map(lineLogger, (line) => sink.write(line))
    const level = Layer.succeed(References.MinimumLogLevel, minimumLevels[config.logging.level])
    const file = config.logging.toFile
    if (file === undefined) return Layer.merge(Logger.layer([toSink]), level)
    const toFile = Logger.toFile(lineLogger, file, { flag: "a" }).pipe(Effect.orDie)
    return Layer.merge(Logger.layer([toSink, toFile]), level)
  }),
)
