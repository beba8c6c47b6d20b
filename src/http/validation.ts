import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

// ajv-formats is CommonJS; under NodeNext its default export arrives wrapped.
const addFormats = ((addFormatsModule as any).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

/*
 * Two validators: bodies are checked strictly (a number where a string belongs is an error, not coerced — a pipeline
 * sending the wrong type must hear about it), while query strings and path parameters, which are always text, are
 * coerced to the schema's types.
 */
function makeAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({
    coerceTypes: coerce,
    useDefaults: true,
    removeAdditional: false,
    allErrors: false,
    verbose: true,
    strict: false,
  });
  addFormats(ajv);
  // `errorMessage` on a schema replaces ajv's generic text for that field with the spec's rule.
  ajv.addKeyword({ keyword: 'errorMessage', schemaType: 'string' });
  return ajv;
}

const bodyAjv = makeAjv(false);
const textAjv = makeAjv(true);

/*
 * An integer beyond 2^53 loses precision in JavaScript and overflows the databases' bigint (`?offset=1e20` became a
 * 500), so every integer of a schema that sets no bound of its own is limited to the safe range.
 */
function withSafeIntegers(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withSafeIntegers);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    out[key] = key === 'const' || key === 'enum' || key === 'default' || key === 'examples' ? value : withSafeIntegers(value);
  }
  const type = (schema as { type?: unknown }).type;
  if (type === 'integer' || (Array.isArray(type) && type.includes('integer'))) {
    if (out.maximum === undefined && out.exclusiveMaximum === undefined) out.maximum = Number.MAX_SAFE_INTEGER;
    if (out.minimum === undefined && out.exclusiveMinimum === undefined) out.minimum = Number.MIN_SAFE_INTEGER;
  }
  return out;
}

// One compiled validator per schema object and part: compiling a fresh copy twice would trip over a repeated `$id`.
const compiled = { body: new WeakMap<object, unknown>(), text: new WeakMap<object, unknown>() };

export const validatorCompiler: FastifySchemaCompiler<any> = ({ schema, httpPart }) => {
  const [ajv, cache] = httpPart === 'body' ? [bodyAjv, compiled.body] : [textAjv, compiled.text];
  let validate = cache.get(schema as object);
  if (!validate) {
    validate = refusingNul(ajv.compile(withSafeIntegers(schema) as object), schema);
    cache.set(schema as object, validate);
  }
  return validate as any;
};

/*
 * PostgreSQL cannot store U+0000 in text and fails the whole query, so a NUL in any string the schema declares (body,
 * query or path) was a 500 on PostgreSQL and stored on SQLite. It is refused here, for every route, as a broken rule.
 */
function refusingNul(validate: ValidateFunction, schema: unknown): ValidateFunction {
  const wrapper = function (this: unknown, data: unknown, context?: unknown) {
    if (!(validate as any).call(this, data, context)) {
      wrapper.errors = validate.errors;
      return false;
    }
    const at = nulPath(schema, data, '');
    wrapper.errors = at === null ? null : [{
      keyword: 'nul', instancePath: at, schemaPath: '#', params: {}, message: 'must not contain the NUL character',
    }];
    return at === null;
  } as unknown as ValidateFunction;
  // Fastify passes the parent (so Ajv may coerce a root value) only to functions that carry `schemaEnv`.
  Object.assign(wrapper, { schema: validate.schema, schemaEnv: validate.schemaEnv });
  return wrapper;
}

/** JSON pointer of the first declared string holding U+0000, or null. Walks the schema, so its depth is bounded. */
function nulPath(schema: unknown, data: unknown, at: string): string | null {
  if (typeof data === 'string') return data.includes('\u0000') ? at : null;
  if (schema === null || typeof schema !== 'object' || data === null || typeof data !== 'object') return null;
  const s = schema as { properties?: Record<string, unknown>; items?: unknown; anyOf?: unknown[]; oneOf?: unknown[]; allOf?: unknown[] };
  for (const branch of [...(s.anyOf ?? []), ...(s.oneOf ?? []), ...(s.allOf ?? [])]) {
    const found = nulPath(branch, data, at);
    if (found !== null) return found;
  }
  if (Array.isArray(data)) {
    if (!s.items || typeof s.items !== 'object' || Array.isArray(s.items)) return null;
    for (let i = 0; i < data.length; i++) {
      const found = nulPath(s.items, data[i], `${at}/${i}`);
      if (found !== null) return found;
    }
    return null;
  }
  for (const [key, sub] of Object.entries(s.properties ?? {})) {
    if (!Object.hasOwn(data, key)) continue;
    const found = nulPath(sub, (data as Record<string, unknown>)[key], `${at}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`);
    if (found !== null) return found;
  }
  return null;
}

/** Turns ajv's first error into `{field, message}` that names the field and the rule ("image.url must be a string"). */
export function describeValidationError(
  errors: ErrorObject[],
  context: string | undefined,
): { field: string; message: string } {
  // A failed anyOf/oneOf comes after its branches' errors; the union's own rule ("role must be read, write or admin")
  // says more than the first branch's ("must be equal to constant").
  const union = [...errors].reverse().find((x) => x.keyword === 'anyOf' || x.keyword === 'oneOf');
  const e = union && (customMessage(union) || literalsOf(union)) ? union : errors[0]!;
  const segments = e.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (e.keyword === 'required') segments.push(String(e.params.missingProperty));
  if (e.keyword === 'additionalProperties') segments.push(String(e.params.additionalProperty));
  const prefix = context && context !== 'body' ? `${context === 'querystring' ? 'query' : context}.` : '';
  const field = segments.length ? prefix + segments.join('.') : context === 'body' || !context ? 'body' : context;
  const custom = customMessage(e);
  let rule: string;
  if (e.keyword === 'required') rule = 'is required';
  else if (e.keyword === 'additionalProperties') rule = 'is not a known field';
  else if (custom && e.keyword !== 'type') rule = custom;
  else if (e.keyword === 'type') rule = `must be ${article(String(e.params.type))}`;
  else if (e.keyword === 'maxLength') rule = `must be at most ${e.params.limit} characters long`;
  else if (e.keyword === 'minLength') rule = e.params.limit === 1 ? 'must not be empty' : `must be at least ${e.params.limit} characters long`;
  else if (e.keyword === 'nul') rule = 'must not contain the NUL character (\\u0000)';
  else if (e.keyword === 'anyOf' || e.keyword === 'oneOf') rule = `must be one of ${literalsOf(e)!.join(', ')}`;
  else if (e.keyword === 'enum') rule = `must be one of ${(e.params.allowedValues as unknown[]).join(', ')}`;
  else rule = e.message ?? 'is invalid';
  return { field, message: `${field} ${rule}` };
}

function customMessage(e: ErrorObject): string | undefined {
  return (e.parentSchema as { errorMessage?: string } | undefined)?.errorMessage;
}

/** The allowed values of a union of literals (TypeBox's Union of Literal), or undefined for any other union. */
function literalsOf(e: ErrorObject): unknown[] | undefined {
  const branches = (e.schema ?? (e.parentSchema as Record<string, unknown> | undefined)?.[e.keyword]) as unknown;
  if (!Array.isArray(branches) || branches.length === 0) return undefined;
  if (!branches.every((b) => b && typeof b === 'object' && 'const' in b)) return undefined;
  return branches.map((b) => (b as { const: unknown }).const);
}

function article(type: string): string {
  if (type === 'object') return 'an object';
  if (type === 'array') return 'an array';
  if (type === 'integer') return 'an integer';
  return `a ${type}`;
}
