/**
 * GitLab sends an absent optional field as `null` as often as it leaves it out: the schema that
 * accepts both, and the value side that reads both as absent.
 */
import * as Schema from "effect/Schema"

/** An optional field that may also be `null`. */
export const optionalNullable = <S extends Schema.Top>(schema: S) => Schema.optional(Schema.NullOr(schema))

/** `null` read as absent, for the use case inputs (which know only `undefined`). */
export const undefinedIfNull = <A>(value: A | null | undefined): A | undefined => value ?? undefined
