/*
 * `/repositories/{repository}/build/{id}` (ui.md; the `homepage` of every build event): one build — its phases with
 * times, trigger and commit, digests, error.
 */
import { apiPaths, pages, shortDigest } from '../api/paths';
import { useApi } from '../api/use-api';
import type { Build } from '../api/types';
import { Loaded } from '../components/feedback';
import { Time, duration } from '../components/time';
import { useTitle } from '../components/use-title';
import { Link } from '../router';
import { digestOf } from './repository/builds-tab';

export function BuildPage({ repository, id }: { repository: string; id: string }) {
  useTitle(`Build ${id.slice(0, 8)}`);
  const build = useApi<Build>(apiPaths.build(id));
  return (
    <>
      <p className="breadcrumbs"><Link to={pages.repository(repository, 'builds')}>{repository}</Link> / builds /</p>
      <Loaded what="the build" state={build}>
        {(b) => {
          const meta = b.trigger_metadata as { commit_info?: { url?: string; message?: string }; git_url?: string };
          return (
            <>
              <h1>{b.build_name ?? `Build ${b.build_id.slice(0, 8)}`} <span className={`phase-${b.phase}`}>{b.phase}</span></h1>
              {b.repository !== repository ? <p className="warning">This build belongs to <Link to={pages.build(b.repository, b.build_id)}>{b.repository}</Link>.</p> : null}
              {b.error_message ? <div className="error" role="note"><strong>Error:</strong> {b.error_message}</div> : null}
              <div className="split">
                <section aria-labelledby="phases-title">
                  <h2 id="phases-title">Phases</h2>
                  <ol className="phases">
                    <li>queued <Time at={b.created_at} mode="exact" /></li>
                    {b.started_at ? <li>started <Time at={b.started_at} mode="exact" /> <span className="muted">(waited {duration(b.created_at, b.started_at)})</span></li> : null}
                    {b.finished_at ? <li><span className={`phase-${b.phase}`}>{b.phase}</span> <Time at={b.finished_at} mode="exact" /> <span className="muted">(took {duration(b.started_at ?? b.created_at, b.finished_at)})</span></li> : <li className="muted">not finished</li>}
                  </ol>
                </section>
                <section aria-labelledby="trigger-title">
                  <h2 id="trigger-title">Trigger</h2>
                  <dl className="facts">
                    <dt>Kind</dt><dd>{b.is_manual ? `manual${b.manual_user ? ` by ${b.manual_user}` : ''}` : b.trigger_kind ?? '–'}</dd>
                    <dt>Commit</dt><dd className="mono">{meta.commit_info?.url && /^https?:/.test(meta.commit_info.url) ? <a href={meta.commit_info.url} rel="noreferrer">{b.commit}</a> : b.commit ?? '–'}</dd>
                    {meta.commit_info?.message ? <><dt>Message</dt><dd>{meta.commit_info.message}</dd></> : null}
                    <dt>Ref</dt><dd>{b.ref ?? '–'}</dd>
                    <dt>Tags</dt><dd>{b.docker_tags.join(', ') || '–'}</dd>
                    <dt>Build id</dt><dd className="mono">{b.build_id}</dd>
                  </dl>
                </section>
              </div>
              <h2>Digests</h2>
              {b.manifest_digests.length === 0 ? <p className="empty">No digest recorded{b.phase === 'success' ? '' : ' (they come with success)'}.</p> : (
                <ul>
                  {b.manifest_digests.map((d) => <li key={d}><Link to={pages.image(b.repository, digestOf(d))} className="mono">{b.repository}@{shortDigest(digestOf(d))}</Link></li>)}
                </ul>
              )}
            </>
          );
        }}
      </Loaded>
    </>
  );
}
