/* Times: relative ("5 min ago") for scanning a table, the exact time in the tooltip and the datetime attribute. */
const units: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['year', 365 * 86400], ['month', 30 * 86400], ['week', 7 * 86400], ['day', 86400], ['hour', 3600], ['minute', 60], ['second', 1],
];
const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
const exact = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'medium' });

export function relative(iso: string, now = Date.now()): string {
  const seconds = (Date.parse(iso) - now) / 1000;
  if (Number.isNaN(seconds)) return iso;
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size || unit === 'second') return rtf.format(Math.round(seconds / size), unit);
  }
  return iso;
}

export function exactTime(iso: string): string {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : exact.format(t);
}

export function Time({ at, mode = 'relative' }: { at: string | null | undefined; mode?: 'relative' | 'exact' }) {
  if (!at) return <span className="muted">–</span>;
  return <time dateTime={at} title={exactTime(at)}>{mode === 'relative' ? relative(at) : exactTime(at)}</time>;
}

/** A duration between two times, e.g. "1 min 12 s". */
export function duration(from: string | null, to: string | null): string {
  if (!from || !to) return '–';
  const s = Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
