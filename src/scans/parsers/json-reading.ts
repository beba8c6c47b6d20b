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
