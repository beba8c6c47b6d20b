/*
 * The security-debt chart (deployments.md "Security debt over time") drawn with uPlot on a canvas: open
 * vulnerabilities per severity as step lines (a value holds until the next point), the fixable ones dashed, and the
 * risk score on its own axis. Colours come from the severity custom properties, so the chart follows the theme. The
 * same numbers are in a table under it for screen readers and for copying.
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { severities, type TrendPoint } from '../api/types';

const css = (name: string): string => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';

function options(width: number): uPlot.Options {
  const step = uPlot.paths.stepped!({ align: 1 });
  return {
    width,
    height: 280,
    cursor: { drag: { x: true, y: false } },
    scales: { x: { time: true }, count: { auto: true, range: (_u, _min, max) => [0, Math.max(1, max)] }, risk: { auto: true, range: (_u, _min, max) => [0, Math.max(1, max)] } },
    axes: [
      { stroke: css('--muted'), grid: { stroke: css('--border'), width: 1 }, ticks: { stroke: css('--border') } },
      { scale: 'count', label: 'open vulnerabilities', stroke: css('--muted'), grid: { stroke: css('--border'), width: 1 }, ticks: { stroke: css('--border') } },
      { scale: 'risk', side: 1, label: 'risk score', stroke: css('--muted'), grid: { show: false }, ticks: { stroke: css('--border') } },
    ],
    series: [
      { label: 'time' },
      ...severities.map((s) => ({ label: s, scale: 'count', stroke: css(`--sev-${s.toLowerCase()}`), width: 2, paths: step, points: { show: false } })),
      { label: 'Fixable', scale: 'count', stroke: css('--ok'), width: 1.5, dash: [6, 4], paths: step, points: { show: false } },
      { label: 'Risk score', scale: 'risk', stroke: css('--fg'), width: 1.5, dash: [2, 3], paths: step, points: { show: false } },
    ],
  };
}

/** Points as uPlot's columns; the last value is carried to now so the line reaches the present. */
export function chartData(points: TrendPoint[], now = Date.now()): uPlot.AlignedData {
  const rows = points.length > 0 ? [...points, { ...points[points.length - 1]!, at: new Date(Math.max(now, Date.parse(points[points.length - 1]!.at))).toISOString() }] : [];
  return [
    rows.map((p) => Date.parse(p.at) / 1000),
    ...severities.map((s) => rows.map((p) => p.by_severity[s])),
    rows.map((p) => p.fixable),
    rows.map((p) => p.risk_score),
  ];
}

export function TrendChart({ points, label }: { points: TrendPoint[]; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    let chart: uPlot | null = null;
    const draw = () => {
      chart?.destroy();
      chart = new uPlot(options(Math.max(320, el.clientWidth)), chartData(points), el);
    };
    draw();
    const resize = new ResizeObserver(() => chart?.setSize({ width: Math.max(320, el.clientWidth), height: 280 }));
    resize.observe(el);
    window.addEventListener('tidewatch:theme', draw);
    return () => {
      resize.disconnect();
      window.removeEventListener('tidewatch:theme', draw);
      chart?.destroy();
    };
  }, [points]);
  return <div ref={box} className="chart" role="img" aria-label={label} data-points={points.length} />;
}

export default TrendChart;
