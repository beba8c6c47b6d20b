/** Copies of `value` with one node swapped for each of a few wrongly typed values (for "never a TypeError" tests). */
export function* mutations(value: unknown): Generator<unknown> {
  for (const replacement of [undefined, null, 0, 'x', [], {}, [null]]) yield replacement;
  if (typeof value !== 'object' || value === null) return;
  for (const key of Object.keys(value)) {
    for (const child of mutations((value as Record<string, unknown>)[key])) {
      yield Array.isArray(value) ? value.map((v, i) => (String(i) === key ? child : v)) : { ...value, [key]: child };
    }
  }
}
