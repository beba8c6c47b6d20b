/*
 * `/environments/{env}` (ui.md): what runs there with its counts, the security-debt chart with the verdict and deltas
 * over a chosen window, and the history. Compare links to staging-vs-this in one click.
 */
import { useApi } from '../../api/use-api';
import { apiPaths, pages } from '../../api/paths';
import type { EnvironmentView } from '../../api/types';
import { ErrorMessage, Loading } from '../../components/feedback';
import { SeverityCounts } from '../../components/severity';
import { VerdictLabel } from '../../components/trend-verdict';
import { Time } from '../../components/time';
import { formatCount } from '../../components/pager';
import { useTitle } from '../../components/use-title';
import { Link, useLocation } from '../../router';
import { EnvironmentTrend, type WindowId } from './environment-trend';
import { InstancesTable } from './instances-table';
import { EnvironmentHistory } from './environment-history';
import { useAllInstances } from './use-all-instances';

/** Rows shown while the rest loads: enough to fill the screen, small enough to arrive at once. */
const firstPage = 100;

export function EnvironmentPage({ name }: { name: string }) {
  useTitle(name);
  const { search } = useLocation();
  const env = useApi<EnvironmentView>(apiPaths.environment(name, { limit: firstPage }));
  const all = useAllInstances(name, env.data);
  if (env.error) return <><h1>{name}</h1><ErrorMessage error={env.error} title={`Could not load environment ${name}`} /></>;
  if (!env.data) return <><h1>{name}</h1><Loading what={`environment ${name}`} /></>;
  const e = env.data;
  const v = e.vulnerabilities;
  return (
    <>
      <p className="breadcrumbs"><Link to="/">Environments</Link> /</p>
      <div className="header-row">
        <h1>{e.name}</h1>
        <span>
          <Link to={pages.compare(`env:${e.name}`)}>Compare with…</Link>
        </span>
      </div>
      <dl className="facts">
        <dt>Instances</dt><dd>{formatCount(e.total)}</dd>
        <dt>Open vulnerabilities</dt><dd><SeverityCounts counts={v.by_severity} fixable={v.fixable} /> <span className="muted">({formatCount(v.distinct_vulnerabilities)} distinct, {formatCount(v.fixable_total)} fixable, risk score {formatCount(v.risk_score)})</span></dd>
        <dt>Scanned</dt><dd>{v.scanned_images} of {v.scanned_images + v.unscanned_images} images</dd>
        {e.trend ? <><dt>Last 30 days</dt><dd><VerdictLabel verdict={e.trend.verdict} deltas={e.trend.deltas} /></dd></> : null}
        <dt>Last change</dt><dd><Time at={e.last_change_at} /></dd>
      </dl>
      {e.trend
        ? <EnvironmentTrend name={e.name} window={(search.get('window') ?? '30d') as WindowId} />
        : <p className="help">The security-debt series covers every repository, so it is not shown to a token limited to some of them.</p>}
      <InstancesTable instances={all.instances} total={e.total} complete={all.complete} error={all.error} />
      <EnvironmentHistory name={e.name} />
    </>
  );
}
