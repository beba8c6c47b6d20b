import { Ajv, type ErrorObject } from 'ajv';
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

export const validatorCompiler: FastifySchemaCompiler<any> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? bodyAjv : textAjv).compile(schema as object) as any;

/** Turns ajv's first error into `{field, message}` that names the field and the rule ("image.url must be a string"). */
export function describeValidationError(
  errors: ErrorObject[],
  context: string | undefined,
): { field: string; message: string } {
  const e = errors[0]!;
  const segments = e.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (e.keyword === 'required') segments.push(String(e.params.missingProperty));
  if (e.keyword === 'additionalProperties') segments.push(String(e.params.additionalProperty));
  const prefix = context && context !== 'body' ? `${context === 'querystring' ? 'query' : context}.` : '';
  const field = segments.length ? prefix + segments.join('.') : context === 'body' || !context ? 'body' : context;
  const custom = (e.parentSchema as { errorMessage?: string } | undefined)?.errorMessage;
  let rule: string;
  if (e.keyword === 'required') rule = 'is required';
  else if (e.keyword === 'additionalProperties') rule = 'is not a known field';
  else if (custom && e.keyword !== 'type') rule = custom;
  else if (e.keyword === 'type') rule = `must be ${article(String(e.params.type))}`;
  else if (e.keyword === 'maxLength') rule = `must be at most ${e.params.limit} characters long`;
  else if (e.keyword === 'minLength') rule = e.params.limit === 1 ? 'must not be empty' : `must be at least ${e.params.limit} characters long`;
  else if (e.keyword === 'enum') rule = `must be one of ${(e.params.allowedValues as unknown[]).join(', ')}`;
  else rule = e.message ?? 'is invalid';
  return { field, message: `${field} ${rule}` };
}

function article(type: string): string {
  if (type === 'object') return 'an object';
  if (type === 'array') return 'an array';
  if (type === 'integer') return 'an integer';
  return `a ${type}`;
}
