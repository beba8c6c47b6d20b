import { ReportError } from './report-types.js';

/* Small readers of untrusted JSON shared by the report parsers: they never throw on a wrong type, they answer null. */

export type JsonObject = Record<string, unknown>;

export const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Scanners write "" (or blanks) for "not given": read those as null. */
export const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v : null);

export const texts = (v: unknown): string[] => (Array.isArray(v) ? v.map(text).filter((s): s is string => s !== null) : []);

export const firstText = (v: unknown): string | null => texts(v)[0] ?? null;

export const objects = (v: unknown): JsonObject[] => (Array.isArray(v) ? v.filter(isObject) : []);

/** Says what a value is, to finish a sentence such as "Results must be an array, but it is null". */
export function kind(v: unknown): string {
  if (v === undefined) return 'it is missing';
  if (v === null) return 'it is null';
  if (Array.isArray(v)) return 'it is an array';
  if (typeof v === 'string') return `it is the string ${JSON.stringify(v.length > 30 ? `${v.slice(0, 27)}...` : v)}`;
  if (typeof v === 'object') return 'it is an object';
  return `it is ${typeof v === 'number' || typeof v === 'boolean' ? String(v) : `a ${typeof v}`}`;
}

/** A ReportError factory whose messages start with the format's name: "Trivy report: … ." */
export const reportErrors = (format: string) => (what: string): ReportError => new ReportError(`${format}: ${what}.`);

/** A non-empty string field, or a ReportError naming the field and what it holds instead. */
export function requiredText(v: JsonObject, key: string, where: string, invalid: (what: string) => ReportError): string {
  const value = text(v[key]);
  if (value === null) throw invalid(`${where}.${key} must be a non-empty string, but ${kind(v[key])}`);
  return value;
}

/**
 * Where the document first holds U+0000 (in a value or a key), as `Results[0].Vulnerabilities[2].Title`, or null.
 * PostgreSQL cannot store it in text and fails the whole scan. Walked without recursion, parents linked rather than
 * paths copied, so a document nested 100,000 levels deep costs neither the stack nor quadratic memory.
 */
export function nulPath(json: unknown): string | null {
  interface Step { value: unknown; key: string | number | null; parent: Step | null }
  const pending: Step[] = [{ value: json, key: null, parent: null }];
  const hit = (step: Step): string => {
    const parts: string[] = [];
    for (let s: Step | null = step; s !== null && s.key !== null; s = s.parent) {
      parts.push(typeof s.key === 'number' ? `[${s.key}]` : `.${JSON.stringify(s.key).slice(1, -1).slice(0, 60)}`);
    }
    return parts.reverse().join('').replace(/^\./, '') || '(the document)';
  };
  while (pending.length > 0) {
    const step = pending.pop()!;
    const { value } = step;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return hit(step);
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) pending.push({ value: value[i], key: i, parent: step });
    } else if (value !== null && typeof value === 'object') {
      const entries = Object.entries(value);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i]!;
        const at: Step = { value: child, key, parent: step };
        if (key.includes('\u0000')) return hit(at);
        pending.push(at);
      }
    }
  }
  return null;
}
