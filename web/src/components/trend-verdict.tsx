/*
 * The security-debt verdict (deployments.md "Security debt over time"): increasing ↑ (bad, red), decreasing ↓
 * (good, green), flat →; with the risk-score delta, and a small line of the risk score over the window.
 */
import type { TrendDeltas, TrendPoint, Verdict } from '../api/types';

const arrow: Record<Verdict, string> = { increasing: '↑', decreasing: '↓', flat: '→' };

export function VerdictLabel({ verdict, deltas }: { verdict: Verdict; deltas?: TrendDeltas }) {
  const d = deltas?.risk_score;
  const sign = d === undefined || d === 0 ? '' : d > 0 ? '+' : '−';
  return (
    <span className={`verdict verdict-${verdict}`} data-verdict={verdict}>
      <span aria-hidden="true">{arrow[verdict]}</span> {verdict}
      {d !== undefined ? <span className="muted"> (risk {sign}{Math.abs(d)})</span> : null}
    </span>
  );
}

/** Signed delta with colour: more is worse for every security-debt number. */
export function Delta({ value }: { value: number }) {
  if (value === 0) return <span className="muted">±0</span>;
  return <span className={value > 0 ? 'delta-up' : 'delta-down'}>{value > 0 ? `+${value}` : `−${Math.abs(value)}`}</span>;
}

export function Sparkline({ points, label, width = 160, height = 36 }: { points: TrendPoint[]; label: string; width?: number; height?: number }) {
  if (points.length === 0) return <span className="muted">no data yet</span>;
  const values = points.map((p) => p.risk_score);
  const times = points.map((p) => Date.parse(p.at));
  const [t0, t1] = [Math.min(...times), Math.max(...times)];
  const [v0, v1] = [Math.min(...values, 0), Math.max(...values, 1)];
  const x = (t: number) => (t1 === t0 ? width : ((t - t0) / (t1 - t0)) * (width - 4) + 2);
  const y = (v: number) => height - 3 - ((v - v0) / (v1 - v0)) * (height - 6);
  // A step line: the risk score holds until the next point changes it.
  let d = `M${x(times[0]!)},${y(values[0]!)}`;
  for (let i = 1; i < points.length; i++) d += ` H${x(times[i]!)} V${y(values[i]!)}`;
  d += ` H${width - 2}`;
  return (
    <svg className="sparkline" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label}>
      <path d={d} fill="none" stroke="currentColor" strokeWidth="1.8" />
    </svg>
  );
}
