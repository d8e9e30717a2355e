/**
 * The config's shape, checked with zod. Its own module, loaded when a config is first validated:
 * reader processes take the config their parent validated and never load zod (a start-up cost
 * of about 60 ms).
 */
import { z } from 'zod';
import { ALERT_EVENTS, ALERT_FORMATS } from '../alerts/index.ts';
import { CHECK_ACTIONS, type CheckExpression } from '../check/index.ts';
import { COMPRESSIONS, FILE_FORMATS, isSchemaTypeName, SCHEMA_TYPE_NAMES } from '../formats/index.ts';
import { type FerryConfigInput, SCHEMA_DRIFT_POLICIES, SINK_MODES, type Transform } from './types.ts';

const durationText = z.string().min(1);
const storageSchema = z.union([z.string(), z.strictObject({ scheme: z.string().min(1), options: z.record(z.string(), z.string()).optional() })]);
const scheduleSchema = z.union([
  z.string().min(1),
  z.strictObject({ every: durationText }),
  z.strictObject({ cron: z.string().min(1), timezone: z.string().optional() }),
]);
const threshold = z.union([z.number(), z.string()]).optional();
const ruleBase = { name: z.string().min(1).max(200).optional(), action: z.enum(CHECK_ACTIONS).optional(), warnIf: threshold, errorIf: threshold };
const columnName = z.string().min(1);
const checkSchema = z.discriminatedUnion('rule', [
  z.strictObject({ ...ruleBase, rule: z.literal('notNull'), columns: z.array(columnName).min(1) }),
  z.strictObject({ ...ruleBase, rule: z.literal('unique'), columns: z.array(columnName).min(1) }),
  z.strictObject({ ...ruleBase, rule: z.literal('range'), column: columnName, min: z.number().optional(), max: z.number().optional() }),
  z.strictObject({
    ...ruleBase,
    rule: z.literal('length'),
    column: columnName,
    min: z.number().int().min(0).optional(),
    max: z.number().int().min(0).optional(),
  }),
  z.strictObject({ ...ruleBase, rule: z.literal('accepted'), column: columnName, values: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1) }),
  z.strictObject({ ...ruleBase, rule: z.literal('regex'), column: columnName, pattern: z.string().min(1) }),
  z.strictObject({
    ...ruleBase,
    rule: z.literal('expression'),
    expr: z.custom<CheckExpression>(
      (value) => typeof value === 'object' && value !== null && '_expr' in value,
      'must be a Polars expression, e.g. pl.col("qty").gt(0)',
    ),
  }),
  z.strictObject({ ...ruleBase, rule: z.literal('cast'), columns: z.array(columnName).min(1).optional() }),
  z.strictObject({ ...ruleBase, rule: z.literal('rowCount'), min: z.number().int().min(0).optional(), max: z.number().int().min(0).optional() }),
  z.strictObject({ ...ruleBase, rule: z.literal('freshness'), column: columnName, within: z.string().min(1) }),
  z.strictObject({ ...ruleBase, rule: z.literal('columns'), required: z.array(columnName).optional(), types: z.record(z.string(), z.string()).optional() }),
]);
const pipelineSchema = z.strictObject({
  source: z
    .strictObject({
      prefix: z.string().optional(),
      glob: z.string().min(1).optional(),
      modifiedWithin: durationText.nullable().optional(),
      format: z.enum(FILE_FORMATS).optional(),
      compression: z.enum(COMPRESSIONS).optional(),
      csv: z
        .strictObject({
          delimiter: z.string().length(1).optional(),
          header: z.boolean().optional(),
          quote: z.string().length(1).optional(),
          nullValues: z.array(z.string()).optional(),
        })
        .optional(),
      inferSchemaLength: z.number().int().min(1).nullable().optional(),
      listFrom: z.enum(['start', 'last-seen']).optional(),
      includeHidden: z.boolean().optional(),
      events: z
        .union(
          [
            z.literal('http'),
            z.strictObject({
              sqs: z
                .url({ protocol: /^https?$/, error: 'must be the queue URL, e.g. https://sqs.eu-west-1.amazonaws.com/123456789012/ferry-events' })
                .refine((url) => !/^[a-z]+:\/\/[^/]*@/i.test(url), 'must not hold a user or password: credentials come from AWS_*'),
            }),
          ],
          { error: "must be 'http' (events posted to POST /events) or { sqs: queueUrl } (an SQS queue ferry polls)" },
        )
        .optional(),
      reconcile: durationText.nullable().optional(),
      schema: z
        .record(
          z.string().min(1),
          z.string().refine(isSchemaTypeName, {
            error: (issue) => `${JSON.stringify(issue.input)} is not a type ferry reads; use one of ${SCHEMA_TYPE_NAMES.join(', ')}`,
          }),
        )
        .optional(),
    })
    .optional(),
  transform: z.custom<Transform>((value) => typeof value === 'function', 'must be a function (frame) => frame').optional(),
  sql: z.string().min(1).optional(),
  sink: z
    .union([
      z.literal('row-count'),
      z.strictObject({
        table: z.string().min(1).max(63),
        schema: z.string().min(1).max(63).optional(),
        mode: z.enum(SINK_MODES).optional(),
        key: z.array(z.string().min(1).max(63)).min(1).optional(),
        lineage: z.boolean().optional(),
        schemaDrift: z.enum(SCHEMA_DRIFT_POLICIES).optional(),
        rejects: z.string().min(1).max(63).optional(),
      }),
    ])
    .optional(),
  checks: z.union([z.array(checkSchema), z.strictObject({ samples: z.number().int().min(0).max(20).optional(), rules: z.array(checkSchema) })]).optional(),
  schedule: scheduleSchema.optional(),
  expectEvery: durationText.optional(),
  batch: z.union([z.literal(false), z.strictObject({ files: z.number().int().min(1).max(1000).optional(), bytes: z.string().min(1).optional() })]).optional(),
});
export const configSchema = z.strictObject({
  storage: storageSchema.optional(),
  http: z.strictObject({ host: z.string().min(1).optional(), port: z.number().int().min(0).max(65535).optional(), publicUrl: z.url().optional() }).optional(),
  alerts: z
    .array(
      z.strictObject({
        // undefined: the variable it comes from is not set (the destination is then off).
        url: z.union([z.url({ protocol: /^https?$/ }), z.literal(''), z.undefined()]),
        format: z.enum(ALERT_FORMATS).optional(),
        on: z
          .array(
            z
              .string()
              .refine((event) => event === '*' || (ALERT_EVENTS as readonly string[]).includes(event), { error: `one of ${ALERT_EVENTS.join(', ')}, or *` }),
          )
          .min(1)
          .optional(),
        cooldown: durationText.optional(),
      }),
    )
    .optional(),
  dataDir: z.string().min(1).optional(),
  concurrency: z.number().int().min(1).max(64).optional(),
  leaseDuration: durationText.optional(),
  retention: durationText.nullable().optional(),
  retry: z
    .strictObject({ maxAttempts: z.number().int().min(1).max(100).optional(), baseDelay: durationText.optional(), maxDelay: durationText.optional() })
    .optional(),
  limits: z
    .strictObject({
      maxFileSize: z.string().min(1).optional(),
      maxFooterSize: z.string().min(1).optional(),
      maxDecompressedSize: z.string().min(1).optional(),
      maxRowGroupSize: z.string().min(1).optional(),
      maxReaderCrashes: z.number().int().min(1).max(100).optional(),
      readerMemory: z.string().min(1).optional(),
      fileTimeout: durationText.optional(),
    })
    .optional(),
  readers: z.strictObject({ idleExit: durationText.nullable().optional(), recycleAfter: z.number().int().min(1).nullable().optional() }).optional(),
  pipelines: z.record(z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'pipeline names use letters, digits, _ . - only'), pipelineSchema).optional(),
});

/**
 * One line for a validation problem: the field, what is wrong, what is allowed. For a field
 * that takes one of several shapes (`sink: 'row-count' | { table, … }`), the shape the value
 * came closest to says what is wrong (`pipelines.p.sink.mode: Invalid option: expected one of
 * "append"|"replace"|"merge"`), not zod's bare "Invalid input".
 */
export function describeIssue(issue: z.core.$ZodIssue, prefix: readonly PropertyKey[]): string {
  const at = [...prefix, ...issue.path];
  // What was given, when it is a plain value (functions and objects are not echoed).
  const input = (issue as { input?: unknown }).input;
  const given = typeof input === 'string' || typeof input === 'number' || typeof input === 'boolean' ? ` (given ${JSON.stringify(input)})` : '';
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const deepest = issue.errors.flat().reduce((best, candidate) => (candidate.path.length > best.path.length ? candidate : best));
    if (deepest.path.length > 0) return describeIssue(deepest, at);
    // No shape came close: the field's own words when it has them, else what each shape takes.
    if (!issue.message.startsWith('Invalid input')) return `${at.map(String).join('.') || '(root)'}: ${issue.message}${given}`;
    const expected = [...new Set(issue.errors.flat().map((inner) => inner.message.replace(/^Invalid (input|option): /, '')))];
    return `${at.map(String).join('.') || '(root)'}: Invalid input: ${expected.join('; or ')}${given}`;
  }
  return `${at.map(String).join('.') || '(root)'}: ${issue.message}${given}`;
}

/** The config as the schema accepts it: what the resolver reads. */
export type ConfigInput = z.input<typeof configSchema>;

/**
 * The public input types (types.ts: hand-written, for their JSDoc in the editor) are held to
 * the schema here, by the compiler: the same fields (paths) on both sides, and each side's
 * values accepted by the other. A field added to one and not the other fails the type check.
 */
type Leaf = string | number | boolean | null | undefined | ((...args: never[]) => unknown);
/** Every field's path (`retry.maxAttempts`, `pipelines.*.source.glob`: `*` for a record's keys). */
type FieldPaths<T, Prefix extends string = ''> = T extends Leaf
  ? never
  : T extends readonly (infer Element)[]
    ? FieldPaths<Element, Prefix>
    : string extends keyof T
      ? `${Prefix}*` | FieldPaths<NonNullable<T[string & keyof T]>, `${Prefix}*.`>
      : { [K in keyof T & string]-?: `${Prefix}${K}` | FieldPaths<NonNullable<T[K]>, `${Prefix}${K}.`> }[keyof T & string];
type DeepReadonly<T> = T extends Leaf
  ? T
  : T extends readonly (infer Element)[]
    ? readonly DeepReadonly<Element>[]
    : { readonly [K in keyof T]: DeepReadonly<T[K]> };
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type OnlyInTypes = Exclude<FieldPaths<FerryConfigInput>, FieldPaths<ConfigInput>>;
type OnlyInSchema = Exclude<FieldPaths<ConfigInput>, FieldPaths<FerryConfigInput>>;
/** Compiles only when `Fields` is empty; otherwise the error names the fields (paths) in question. */
type NoFields<Fields extends never> = Fields;
/** Compiles only when `Check` is true. */
type Holds<Check extends true> = Check;
export type InputTypesMatchSchema = [NoFields<OnlyInTypes>, NoFields<OnlyInSchema>, Holds<Same<DeepReadonly<ConfigInput>, DeepReadonly<FerryConfigInput>>>];
