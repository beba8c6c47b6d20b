/** Times are stored as ISO-8601 UTC text on both engines (see db/schema.ts). */
export function nowIso(): string {
  return new Date().toISOString();
}
