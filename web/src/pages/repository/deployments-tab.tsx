/*
 * Deployments: per environment what runs, beside what was built and pushed last — the seed's "compare your image
 * builds with what's running" (GET …/deployments).
 */
import { apiPaths, pages, shortDigest } from '../../api/paths';
import { useApi } from '../../api/use-api';
import type { RepositoryDeployments } from '../../api/types';
import { Loaded } from '../../components/feedback';
import { SeverityCounts } from '../../components/severity';
import { Time } from '../../components/time';
import { Link } from '../../router';
import { digestOf } from './builds-tab';

export function DeploymentsTab({ repository }: { repository: string }) {
  const view = useApi<RepositoryDeployments>(apiPaths.repositoryDeployments(repository));
  return (
    <Loaded what="deployments" state={view}>
      {(v) => (
        <div className="split">
          <section aria-labelledby="running-title">
            <h2 id="running-title">Running</h2>
            {v.environments.length === 0 ? <p className="empty">Not running in any environment.</p> : v.environments.map((e) => (
              <div key={e.environment}>
                <h3><Link to={pages.environment(e.environment)}>{e.environment}</Link></h3>
                <div className="table-wrap">
                  <table>
                    <thead><tr><th scope="col">Instance</th><th scope="col">Tag</th><th scope="col">Digest</th><th scope="col">Since</th><th scope="col">Newest push</th><th scope="col">Open vulnerabilities</th></tr></thead>
                    <tbody>
                      {e.instances.map((i) => (
                        <tr key={i.name}>
                          <td>{i.name}</td>
                          <td>{i.tag ?? <span className="muted">–</span>}</td>
                          <td className="mono"><Link to={pages.image(repository, i.digest)} title={i.digest}>{shortDigest(i.digest)}</Link>{i.build?.commit ? <span className="muted"> ({i.build.commit.slice(0, 7)})</span> : null}</td>
                          <td className="nowrap"><Time at={i.since} /></td>
                          <td>{i.behind ? <span className="badge badge-behind" title={`newest: ${i.newest_digest_for_tag}`}>behind {i.compared_tag}</span> : <span className="muted">{i.compared_tag ? 'newest' : '–'}</span>}</td>
                          <td>{i.vulnerabilities ? <SeverityCounts counts={i.vulnerabilities.by_severity} fixable={i.vulnerabilities.fixable} compact /> : <span className="muted">not scanned</span>}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              </div>
            ))}
          </section>
          <section aria-labelledby="built-title">
            <h2 id="built-title">Built and pushed</h2>
            <div className="table-wrap">
              <table>
                <thead><tr><th scope="col">Tag</th><th scope="col">Digest</th><th scope="col">Pushed</th><th scope="col" className="num">Running</th><th scope="col">Newest build</th></tr></thead>
                <tbody>
                  {v.tags.map((t) => (
                    <tr key={t.tag}>
                      <td><strong>{t.tag}</strong></td>
                      <td className="mono">{t.digest ? <Link to={pages.image(repository, t.digest)} title={t.digest}>{shortDigest(t.digest)}</Link> : <span className="muted">deleted</span>}</td>
                      <td className="nowrap"><Time at={t.pushed_at} /></td>
                      <td className="num">{t.running_instances}</td>
                      <td>{t.newest_build
                        ? <><Link to={pages.build(repository, t.newest_build.build_id)}>{t.newest_build.commit?.slice(0, 7) ?? 'build'}</Link> <span className={`phase-${t.newest_build.phase}`}>{t.newest_build.phase}</span></>
                        : <span className="muted">–</span>}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <h3>Recent builds</h3>
            <ul>
              {v.builds.map((b) => (
                <li key={b.build_id}>
                  <Link to={pages.build(repository, b.build_id)}>{b.build_name ?? b.build_id.slice(0, 8)}</Link> <span className={`phase-${b.phase}`}>{b.phase}</span>
                  {b.commit ? <span className="mono"> {b.commit.slice(0, 7)}</span> : null} · {b.manifest_digests.map((d) => shortDigest(digestOf(d))).join(', ') || 'no digest'} ·{' '}
                  {b.running_instances} running
                </li>
              ))}
            </ul>
          </section>
        </div>
      )}
    </Loaded>
  );
}
