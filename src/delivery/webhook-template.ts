/*
 * Quay's webhook template language (notifications.md "Methods"; Quay's util/jsontemplate.py). A template is JSON; in
 * each of its strings, keys included, `${path}` is replaced by the event payload's value at that path:
 *
 * - A string that is exactly one placeholder becomes the value with its JSON type: `"${updated_tags}"` → an array,
 *   as in Quay.
 * - Inside a longer string the value goes in as text: arrays joined with ",", objects as JSON (Quay prints Python
 *   reprs there — a weakness not kept).
 * - A missing path, or a null value, renders as "" (Quay writes "(none)" inside a string and null for a lone
 *   placeholder); a receiver then sees an empty field rather than a word it might take for data.
 * - Paths are dotted keys with optional array indexes: `vulnerability.id`, `docker_tags[0]`, `docker_tags.0`, an
 *   optional leading `$.`. Quay accepts all of JSONPath; anything beyond this subset is refused at create time.
 *
 * Substitution works on the parsed template and the output is written by JSON.stringify, so a payload value is always
 * JSON-escaped and can never end its string early and inject fields. The flip side, as in Quay: a placeholder must
 * sit inside a JSON string — `{"n": ${pushed_image_count}}` is not JSON and is refused; write `"${pushed_image_count}"`.
 */

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

const PLACEHOLDER = /\$\{([^}]*)\}/g;
const WHOLE = /^\$\{([^}]*)\}$/;
const PATH = /^(?:\$\.)?[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+|\[\d+\])*$/;

function steps(expression: string): string[] {
  const path = expression.trim();
  if (path === '') throw new TemplateError('the template has an empty placeholder ${}');
  if (!PATH.test(path)) {
    throw new TemplateError(`placeholder \${${expression}} is not a dotted path such as \${vulnerability.id} or \${docker_tags[0]}`);
  }
  return path.replace(/^\$\./, '').replace(/\[(\d+)\]/g, '.$1').split('.');
}

function lookup(payload: unknown, expression: string): unknown {
  let value: unknown = payload;
  for (const step of steps(expression)) {
    // Own properties only: `${constructor}` or `${__proto__}` must not reach into JavaScript's prototypes.
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, step)) return undefined;
    value = (value as Record<string, unknown>)[step];
  }
  return value;
}

function asText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(asText).join(',');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function renderString(text: string, payload: unknown): unknown {
  const whole = WHOLE.exec(text);
  if (whole) {
    const value = lookup(payload, whole[1]!);
    return value === undefined || value === null ? '' : value;
  }
  return text.replace(PLACEHOLDER, (_match, expression: string) => asText(lookup(payload, expression)));
}

function renderNode(node: unknown, payload: unknown): unknown {
  if (typeof node === 'string') return renderString(node, payload);
  if (Array.isArray(node)) return node.map((item) => renderNode(item, payload));
  if (node !== null && typeof node === 'object') {
    return Object.fromEntries(
      Object.entries(node).map(([key, value]) => [asText(renderString(key, payload)), renderNode(value, payload)]),
    );
  }
  return node;
}

function parseTemplate(template: string): unknown {
  try {
    return JSON.parse(template);
  } catch (error) {
    throw new TemplateError(`the template is not JSON (placeholders go inside strings): ${(error as Error).message}`);
  }
}

/** The request body for `payload`: the rendered template as JSON text. */
export function renderTemplate(template: string, payload: unknown): string {
  return JSON.stringify(renderNode(parseTemplate(template), payload));
}

/** A stand-in payload with Quay's base fields, for validating a template when no event sample is at hand. */
export const SAMPLE_PAYLOAD = {
  repository: 'acme/web',
  namespace: 'acme',
  name: 'web',
  docker_url: 'registry.example.com/acme/web',
  homepage: 'https://tidewatch.example.com/repositories/registry.example.com/acme/web',
  updated_tags: ['latest'],
} as const;

/**
 * The create-time check: the template parses as JSON, every placeholder is a path we understand, and rendering it
 * against a sample payload (the event's own sample when the caller has it) gives JSON.
 */
export function validateTemplate(template: string, samplePayload: unknown = SAMPLE_PAYLOAD): void {
  const rendered = renderTemplate(template, samplePayload);
  JSON.parse(rendered);
}
