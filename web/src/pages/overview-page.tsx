/*
 * `/`: every environment with its instances, distinct images, open vulnerabilities by severity (fixable beside), the
 * trend verdict with an arrow and a small chart, and the last change (ui.md). Links to each environment.
 */
import { useApi } from '../api/use-api';
import { apiPaths, pages } from '../api/paths';
import type { EnvironmentSummary, TrendAnswer } from '../api/types';
import { Empty, Loaded } from '../components/feedback';
import { SeverityCounts } from '../components/severity';
import { Sparkline, VerdictLabel } from '../components/trend-verdict';
import { Time } from '../components/time';
import { formatCount } from '../components/pager';
import { Link } from '../router';
import { useTitle } from '../components/use-title';

export function OverviewPage() {
  useTitle('Environments');
  const envs = useApi<{ environments: EnvironmentSummary[] }>(apiPaths.environments());
  return (
    <>
      <div className="header-row">
        <h1>Environments</h1>
        <WorkspaceTrend />
      </div>
      <Loaded what="environments" state={envs}>
        {({ environments }) => environments.length === 0 ? (
          <Empty>
            No deployment recorded yet. Post one from your pipeline (see <Link to={pages.integrations()}>Integrations</Link>) and
            each environment appears here.
          </Empty>
        ) : (
          <div className="cards">
            {environments.map((e) => <EnvironmentCard key={e.name} env={e} />)}
          </div>
        )}
      </Loaded>
    </>
  );
}

function EnvironmentCard({ env }: { env: EnvironmentSummary }) {
  const v = env.vulnerabilities;
  return (
    <section className="card" aria-labelledby={`env-${env.name}`} data-environment={env.name}>
      <div className="header-row">
        <h2 id={`env-${env.name}`}><Link to={pages.environment(env.name)}>{env.name}</Link></h2>
        {env.trend ? <VerdictLabel verdict={env.trend.verdict} deltas={env.trend.deltas} /> : null}
      </div>
      <div className="stat-row">
        <Stat value={formatCount(env.instances)} label="instances" />
        <Stat value={formatCount(env.images)} label="distinct images" />
        <Stat value={formatCount(v.distinct_vulnerabilities)} label="distinct vulnerabilities" />
        <Stat value={formatCount(v.fixable_total)} label="fixable" />
      </div>
      <div><SeverityCounts counts={v.by_severity} fixable={v.fixable} /></div>
      {v.unscanned_images > 0 ? <p className="help">{v.unscanned_images} of {v.scanned_images + v.unscanned_images} images not scanned yet</p> : null}
      {env.trend ? <EnvironmentSparkline name={env.name} /> : <p className="help">Trend not shown to a token limited to some repositories.</p>}
      <p className="help">Last change <Time at={env.last_change_at} /></p>
    </section>
  );
}

function EnvironmentSparkline({ name }: { name: string }) {
  const trend = useApi<TrendAnswer>(apiPaths.environmentTrend(name, { bucket: 'day' }));
  if (!trend.data) return <div style={{ height: 36 }} aria-hidden="true" />;
  const { points, start, end } = trend.data;
  const label = `Risk score over the last 30 days of ${name}: from ${start?.risk_score ?? 0} to ${end?.risk_score ?? 0}`;
  return <Sparkline points={points} label={label} width={300} />;
}

/** The whole workspace's verdict (GET /trend); not shown to a token limited to some repositories (the API refuses it). */
function WorkspaceTrend() {
  const trend = useApi<TrendAnswer>(apiPaths.trend({ bucket: 'day' }));
  if (!trend.data) return null;
  const { verdict, deltas, points, start, end } = trend.data;
  return (
    <span className="workspace-trend" data-testid="workspace-trend">
      <span className="muted">All environments, 30 days:</span> <VerdictLabel verdict={verdict} deltas={deltas} />
      <Sparkline points={points} width={140} height={28} label={`Risk score of the whole workspace over 30 days: from ${start?.risk_score ?? 0} to ${end?.risk_score ?? 0}`} />
    </span>
  );
}

function Stat({ value, label }: { value: string; label: string }) {
  return <div className="stat"><span className="value">{value}</span><span className="label">{label}</span></div>;
}
