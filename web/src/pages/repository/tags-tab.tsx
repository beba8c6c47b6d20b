/* Tags: each tag → the digest it points at now, and its history of digests (GET …/tags). */
import { apiPaths, pages, shortDigest } from '../../api/paths';
import { useApi } from '../../api/use-api';
import type { TagHistory } from '../../api/types';
import { Loaded } from '../../components/feedback';
import { Time } from '../../components/time';
import { Link } from '../../router';

export function TagsTab({ repository }: { repository: string }) {
  const tags = useApi<TagHistory>(apiPaths.repositoryTags(repository));
  return (
    <Loaded what="tags" state={tags}>
      {(t) => t.tags.length === 0 ? <p className="empty">No tag pushed yet.</p> : (
        <div className="table-wrap">
          <table>
            <thead><tr><th scope="col">Tag</th><th scope="col">Digest now</th><th scope="col">Updated</th><th scope="col">History</th></tr></thead>
            <tbody>
              {t.tags.map((tag) => (
                <tr key={tag.name}>
                  <td><strong>{tag.name}</strong></td>
                  <td className="mono">{tag.digest ? <Link to={pages.image(repository, tag.digest)} title={tag.digest}>{shortDigest(tag.digest)}</Link> : <span className="muted">deleted</span>}</td>
                  <td className="nowrap"><Time at={tag.updated_at} /></td>
                  <td>
                    <details>
                      <summary>{tag.history.length} change{tag.history.length === 1 ? '' : 's'}</summary>
                      <ol className="attempts">
                        {tag.history.map((h, i) => (
                          <li key={i}>
                            <Time at={h.at} mode="exact" /> {h.action}{' '}
                            {h.digest ? <Link to={pages.image(repository, h.digest)} className="mono" title={h.digest}>{shortDigest(h.digest)}</Link> : null}
                            <span className="muted"> via {h.source}</span>
                          </li>
                        ))}
                      </ol>
                    </details>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Loaded>
  );
}
