/**
 * A schema failure as one line, `message at a.b.0` per issue joined by `; `: for configuration
 * errors printed before exiting and for the logged detail of an upstream answer that does not
 * decode.
 */
import * as SchemaIssue from "effect/SchemaIssue"

const standardFormatter = SchemaIssue.makeFormatterStandardSchemaV1()

export const describeIssue = (issue: SchemaIssue.Issue): string =>
  standardFormatter(issue).issues
    .map((entry) =>
      entry.path !== undefined && entry.path.length > 0
        ? `${entry.message} at ${entry.path.join(".")}`
        : entry.message
    )
    .join("; ")
