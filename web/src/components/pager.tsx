/* Paging through a long list: "1–100 of 2,000", previous and next, the page size. */
const n = new Intl.NumberFormat('en');
export const formatCount = (x: number): string => n.format(x);

export function Pager({ total, offset, limit, onChange, label, sizes = [50, 100, 500] }: {
  total: number; offset: number; limit: number; onChange: (offset: number, limit: number) => void; label: string; sizes?: number[];
}) {
  if (total === 0) return null;
  const last = Math.min(total, offset + limit);
  return (
    <nav className="pager" aria-label={`${label} pages`}>
      <span>{formatCount(offset + 1)}–{formatCount(last)} of {formatCount(total)}</span>
      <button type="button" className="button-small" disabled={offset === 0} onClick={() => onChange(Math.max(0, offset - limit), limit)}>Previous</button>
      <button type="button" className="button-small" disabled={last >= total} onClick={() => onChange(offset + limit, limit)}>Next</button>
      <label>
        Per page{' '}
        <select value={limit} onChange={(e) => onChange(0, Number(e.target.value))}>
          {sizes.map((s) => <option key={s} value={s}>{s}</option>)}
        </select>
      </label>
    </nav>
  );
}
