/* Builds of the repository, newest first: phase, commit, tags, digests (GET /builds?repository=…). */
import { useState } from 'react';
import { apiPaths, pages, shortDigest } from '../../api/paths';
import { useApi } from '../../api/use-api';
import type { BuildList } from '../../api/types';
import { Loaded } from '../../components/feedback';
import { Pager } from '../../components/pager';
import { Time, duration } from '../../components/time';
import { Link } from '../../router';

/** "host/path@sha256:…" (how builds list their digests) → the digest. */
export const digestOf = (ref: string): string => ref.slice(ref.lastIndexOf('@') + 1);

export function BuildsTab({ repository }: { repository: string }) {
  const [paging, setPaging] = useState({ offset: 0, limit: 50 });
  const builds = useApi<BuildList>(apiPaths.builds({ repository, ...paging }));
  return (
    <Loaded what="builds" state={builds}>
      {(b) => b.builds.length === 0 ? <p className="empty">No build recorded for this repository.</p> : (
        <>
          <div className="table-wrap">
            <table>
              <thead><tr><th scope="col">Build</th><th scope="col">Phase</th><th scope="col">Commit</th><th scope="col">Ref</th><th scope="col">Tags</th><th scope="col">Digests</th><th scope="col">Started</th><th scope="col">Took</th></tr></thead>
              <tbody>
                {b.builds.map((x) => (
                  <tr key={x.build_id}>
                    <td><Link to={pages.build(repository, x.build_id)}>{x.build_name ?? x.build_id.slice(0, 8)}</Link></td>
                    <td><span className={`phase-${x.phase}`}>{x.phase}</span></td>
                    <td className="mono">{x.commit?.slice(0, 7) ?? <span className="muted">–</span>}</td>
                    <td className="wrap-anywhere">{x.ref ?? <span className="muted">–</span>}</td>
                    <td>{x.docker_tags.join(', ') || <span className="muted">–</span>}</td>
                    <td className="mono">{x.manifest_digests.map((d) => <div key={d}><Link to={pages.image(repository, digestOf(d))} title={d}>{shortDigest(digestOf(d))}</Link></div>)}</td>
                    <td className="nowrap"><Time at={x.started_at ?? x.created_at} /></td>
                    <td className="nowrap">{duration(x.started_at ?? x.created_at, x.finished_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager total={b.total} offset={paging.offset} limit={paging.limit} label="Builds" onChange={(offset, limit) => setPaging({ offset, limit })} />
        </>
      )}
    </Loaded>
  );
}
