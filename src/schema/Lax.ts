/**
 * Schemas that coerce as leniently as the original gateway (pydantic's lax mode), because real
 * GitLab clients and operators' environments rely on it (SPEC §8):
 * - integers accept integral strings (`"12"`), never fractions or non-numeric text;
 * - booleans accept `true`/`false`, `0`/`1`, and the strings true/false, yes/no, on/off, 1/0,
 *   t/f, y/n in any case;
 * - strings are never coerced from numbers;
 * - `TrimmedString` trims before its length check.
 */
import * as Schema from "effect/Schema"
import * as SchemaTransformation from "effect/SchemaTransformation"

const truthyWords = new Set(["true", "yes", "on", "1", "t", "y"])
const booleanWord = /^(?:true|false|yes|no|on|off|1|0|t|f|y|n)$/i
const booleanExpected = "a boolean (true/false, yes/no, on/off, t/f, y/n, 1/0)"

/** A boolean that also accepts 0/1 and the usual words for yes and no, in any case. */
export const LaxBoolean = Schema.Union([
  Schema.Boolean,
  Schema.Literals([0, 1]),
  Schema.String.check(Schema.isPattern(booleanWord, { expected: booleanExpected })),
]).annotate({ expected: booleanExpected }).pipe(
  Schema.decodeTo(
    Schema.Boolean,
    SchemaTransformation.transform({
      decode: (input) =>
        typeof input === "boolean"
          ? input
          : typeof input === "number"
          ? input === 1
          : truthyWords.has(input.toLowerCase()),
      encode: (value) => value,
    }),
  ),
)

const integralText = /^\s*[+-]?\d+\s*$/

/** A safe integer that also accepts its decimal text, as `"12"`. */
export const LaxInt = Schema.Union([
  Schema.Int,
  Schema.String.check(Schema.isPattern(integralText, { expected: "an integer" })),
]).annotate({ expected: "an integer" }).pipe(
  Schema.decodeTo(
    Schema.Int,
    SchemaTransformation.transform({
      decode: (input) => typeof input === "number" ? input : Number(input),
      encode: (value) => value,
    }),
  ),
)

/** A string trimmed of surrounding whitespace, then checked to be at most `maxLength` characters. */
export const TrimmedString = (maxLength: number) =>
  Schema.String.pipe(
    Schema.decodeTo(Schema.String.check(Schema.isMaxLength(maxLength)), SchemaTransformation.trim()),
  )

/** A string of at most `maxLength` UTF-16 code units. */
export const BoundedString = (maxLength: number) => Schema.String.check(Schema.isMaxLength(maxLength))
