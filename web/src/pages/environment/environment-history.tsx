/* The deployment history of an environment, newest first, a page at a time (GET …/history?limit=&offset=). */
import { useState } from 'react';
import { useApi } from '../../api/use-api';
import { apiPaths, pages, shortDigest } from '../../api/paths';
import type { HistoryAnswer } from '../../api/types';
import { Loaded } from '../../components/feedback';
import { Pager } from '../../components/pager';
import { Time } from '../../components/time';
import { Link } from '../../router';

export function EnvironmentHistory({ name }: { name: string }) {
  const [paging, setPaging] = useState({ offset: 0, limit: 50 });
  const history = useApi<HistoryAnswer>(apiPaths.history(name, paging));
  return (
    <section aria-labelledby="history-title">
      <h2 id="history-title">History</h2>
      <Loaded what="the history" state={history}>
        {(h) => (
          <>
            <div className="table-wrap">
              <table>
                <thead><tr><th scope="col">When</th><th scope="col">Change</th><th scope="col">Instance</th><th scope="col">Image</th><th scope="col">Replaced</th></tr></thead>
                <tbody>
                  {h.entries.map((e) => (
                    <tr key={`${e.deployment_id}-${e.change}`}>
                      <td className="nowrap"><Time at={e.at} /></td>
                      <td><span className={e.change === 'deployed' ? 'badge badge-ok' : 'badge'}>{e.change}</span></td>
                      <td>{e.name}</td>
                      <td className="wrap-anywhere">
                        <Link to={pages.repository(e.repository)}>{e.repository}</Link>{e.tag ? `:${e.tag}` : ''}{' @ '}
                        <Link to={pages.image(e.repository, e.digest)} className="mono" title={e.digest}>{shortDigest(e.digest)}</Link>
                      </td>
                      <td className="mono">{e.replaced ? <Link to={pages.image(e.repository, e.replaced)} title={e.replaced}>{shortDigest(e.replaced)}</Link> : <span className="muted">–</span>}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pager total={h.total} offset={paging.offset} limit={paging.limit} label="History" sizes={[50, 200, 500]} onChange={(offset, limit) => setPaging({ offset, limit })} />
          </>
        )}
      </Loaded>
    </section>
  );
}
