/*
 * Block-style YAML for the fixed-shape documents Tidewatch prints (the webhook manifest); no YAML library. Strings
 * are plain only when no YAML 1.1 or 1.2 reader could take them for anything else; otherwise double-quoted with JSON's
 * escapes, which YAML's double-quoted style accepts.
 */
export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

const PLAIN_RE = /^[A-Za-z][A-Za-z0-9._/-]*$/;
// Words Kubernetes' YAML 1.1 reader (sigs.k8s.io/yaml) turns into booleans or null.
const RESERVED_RE = /^(?:y|yes|n|no|true|false|on|off|null)$/i;
// Characters YAML 1.1 treats as line breaks or that are not printable, which JSON.stringify leaves raw.
const UNSAFE_RE = /[\u007f-\u009f\u2028\u2029\ufeff]/g;

export function yamlScalar(value: string | number | boolean | null): string {
  if (value === null) return 'null';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`a YAML document cannot hold the number ${value}`);
    return String(value);
  }
  if (typeof value === 'boolean') return String(value);
  if (PLAIN_RE.test(value) && !RESERVED_RE.test(value)) return value;
  return JSON.stringify(value).replace(UNSAFE_RE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** One document, two-space indentation, lists indented under their key; ends with a newline. */
export function toYaml(value: YamlValue): string {
  return `${lines(value, 0).join('\n')}\n`;
}

const isCollection = (v: YamlValue): v is YamlValue[] | { [key: string]: YamlValue } => typeof v === 'object' && v !== null;
const isEmpty = (v: YamlValue[] | { [key: string]: YamlValue }) => (Array.isArray(v) ? v.length : Object.keys(v).length) === 0;

/** A value on the same line as its key or dash: a scalar, or an empty collection in flow style. */
function inline(v: YamlValue): string | null {
  if (!isCollection(v)) return yamlScalar(v);
  if (isEmpty(v)) return Array.isArray(v) ? '[]' : '{}';
  return null;
}

function lines(value: YamlValue, indent: number): string[] {
  const pad = ' '.repeat(indent);
  const same = inline(value);
  if (same !== null) return [`${pad}${same}`];
  if (Array.isArray(value)) {
    return value.flatMap((item) => {
      const flat = inline(item);
      if (flat !== null) return [`${pad}- ${flat}`];
      // The item's first line moves up beside the dash; the rest stay indented past it.
      const [first = '', ...rest] = lines(item, indent + 2);
      return [`${pad}- ${first.slice(indent + 2)}`, ...rest];
    });
  }
  return Object.entries(value as { [key: string]: YamlValue }).flatMap(([key, v]) => {
    const flat = inline(v);
    return flat !== null ? [`${pad}${yamlScalar(key)}: ${flat}`] : [`${pad}${yamlScalar(key)}:`, ...lines(v, indent + 2)];
  });
}
