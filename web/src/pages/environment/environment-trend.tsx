/*
 * The security-debt chart of an environment with its verdict and deltas, over a window the user picks (kept in the
 * address as ?window=). Hourly points for short windows, daily ones beyond a week, every point for "all".
 */
import { lazy, Suspense } from 'react';
import { useApi } from '../../api/use-api';
import { apiPaths } from '../../api/paths';
import { severities, type TrendAnswer } from '../../api/types';
import { Loaded } from '../../components/feedback';
import { Delta, VerdictLabel } from '../../components/trend-verdict';
import { exactTime } from '../../components/time';
import { setQueryParam } from '../../router';

const TrendChart = lazy(() => import('../../components/trend-chart'));

export const windows = [
  { id: '24h', label: 'Last 24 hours', days: 1, bucket: 'none' },
  { id: '7d', label: 'Last 7 days', days: 7, bucket: 'hour' },
  { id: '30d', label: 'Last 30 days', days: 30, bucket: 'day' },
  { id: '90d', label: 'Last 90 days', days: 90, bucket: 'day' },
  { id: '1y', label: 'Last year', days: 365, bucket: 'day' },
] as const;
export type WindowId = (typeof windows)[number]['id'];

function sinceOf(days: number): string {
  const day = 86_400_000;
  // Whole UTC days (hours for a day's window), so the address gives the same answer all day long.
  const unit = days === 1 ? 3_600_000 : day;
  return new Date(Math.floor((Date.now() - days * day) / unit) * unit).toISOString();
}

export function EnvironmentTrend({ name, window: windowId }: { name: string; window: WindowId }) {
  const w = windows.find((x) => x.id === windowId) ?? windows[2];
  const trend = useApi<TrendAnswer>(apiPaths.environmentTrend(name, { since: sinceOf(w.days), bucket: w.bucket }));
  return (
    <section aria-labelledby="trend-title">
      <div className="header-row">
        <h2 id="trend-title">Security debt over time</h2>
        <label className="nowrap">
          Time window{' '}
          <select value={w.id} onChange={(e) => setQueryParam('window', e.target.value === '30d' ? null : e.target.value)}>
            {windows.map((x) => <option key={x.id} value={x.id}>{x.label}</option>)}
          </select>
        </label>
      </div>
      <Loaded what="the trend" state={trend}>
        {(t) => (
          <>
            <p>
              <VerdictLabel verdict={t.verdict} deltas={t.deltas} /> since {exactTime(t.since)}:{' '}
              {severities.map((s) => <span key={s} className="nowrap">{s} <Delta value={t.deltas.by_severity[s]} />{' · '}</span>)}
              <span className="nowrap">fixable <Delta value={t.deltas.fixable} /></span>{' · '}
              <span className="nowrap">distinct <Delta value={t.deltas.distinct_vulnerabilities} /></span>
            </p>
            {t.points.length === 0
              ? <p className="empty">No change recorded in this window.</p>
              : (
                <Suspense fallback={<div className="chart" />}>
                  <TrendChart points={t.points} label={`Open vulnerabilities and risk score of ${name}, ${w.label.toLowerCase()}: risk score from ${t.start?.risk_score ?? 0} to ${t.end?.risk_score ?? 0}`} />
                </Suspense>
              )}
            <details>
              <summary>The numbers as a table</summary>
              <div className="table-wrap">
                <table>
                  <caption className="muted">Points of the series, oldest first</caption>
                  <thead><tr><th scope="col">Time</th>{severities.map((s) => <th key={s} scope="col" className="num">{s}</th>)}<th scope="col" className="num">Fixable</th><th scope="col" className="num">Risk score</th></tr></thead>
                  <tbody>
                    {t.points.map((p, i) => (
                      <tr key={`${i}-${p.at}`}><td>{exactTime(p.at)}</td>{severities.map((s) => <td key={s} className="num">{p.by_severity[s]}</td>)}<td className="num">{p.fixable}</td><td className="num">{p.risk_score}</td></tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </details>
          </>
        )}
      </Loaded>
    </section>
  );
}
