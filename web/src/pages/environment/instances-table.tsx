/*
 * The instances of an environment (ui.md): name, repository, tag, short digest, platform, since when, commit, the
 * "behind the newest push" flag and counts. Filtered and sorted in the browser over every instance, shown a page at a
 * time, so 10,000 instances stay quick (issue 7, point 6).
 */
import { useMemo, useState } from 'react';
import { pages, shortDigest } from '../../api/paths';
import type { Instance } from '../../api/types';
import { SeverityCounts } from '../../components/severity';
import { Pager, formatCount } from '../../components/pager';
import { SortableHeader, type SortState } from '../../components/sortable-header';
import { Time } from '../../components/time';
import { ErrorMessage } from '../../components/feedback';
import { Link } from '../../router';

type SortKey = 'name' | 'repository' | 'tag' | 'since' | 'risk' | 'behind';
type Only = 'all' | 'behind' | 'critical' | 'fixable' | 'unscanned';

const risk = (i: Instance) => i.vulnerabilities?.risk_score ?? -1;
const compare: Record<SortKey, (a: Instance, b: Instance) => number> = {
  name: (a, b) => a.name.localeCompare(b.name),
  repository: (a, b) => a.repository.localeCompare(b.repository) || a.name.localeCompare(b.name),
  tag: (a, b) => (a.tag ?? '').localeCompare(b.tag ?? ''),
  since: (a, b) => a.since.localeCompare(b.since),
  risk: (a, b) => risk(a) - risk(b),
  behind: (a, b) => Number(a.behind) - Number(b.behind),
};
const keeps: Record<Only, (i: Instance) => boolean> = {
  all: () => true,
  behind: (i) => i.behind,
  critical: (i) => (i.vulnerabilities?.by_severity.Critical ?? 0) + (i.vulnerabilities?.by_severity.High ?? 0) > 0,
  fixable: (i) => (i.vulnerabilities?.fixable_total ?? 0) > 0,
  unscanned: (i) => i.vulnerabilities === null,
};

export function InstancesTable({ instances, total, complete, error }: { instances: Instance[]; total: number; complete: boolean; error: unknown }) {
  const [text, setText] = useState('');
  const [only, setOnly] = useState<Only>('all');
  const [sort, setSort] = useState<SortState<SortKey>>({ key: 'name', descending: false });
  const [paging, setPaging] = useState({ offset: 0, limit: 100 });

  const shown = useMemo(() => {
    const words = text.toLowerCase().split(/\s+/).filter(Boolean);
    const list = instances.filter((i) => keeps[only](i) && words.every((w) =>
      i.name.toLowerCase().includes(w) || i.image.toLowerCase().includes(w) || (i.build?.commit ?? '').startsWith(w)));
    const c = compare[sort.key];
    list.sort(sort.descending ? (a, b) => c(b, a) : c);
    return list;
  }, [instances, text, only, sort]);
  const page = shown.slice(paging.offset, paging.offset + paging.limit);
  const reset = () => setPaging((p) => ({ ...p, offset: 0 }));

  return (
    <section aria-labelledby="instances-title">
      <h2 id="instances-title">Instances <span className="muted">({formatCount(total)})</span></h2>
      <div className="toolbar" role="search">
        <label>
          Filter
          <input type="search" value={text} placeholder="name, repository, tag, digest, commit" size={36}
            onChange={(e) => { setText(e.target.value); reset(); }} />
        </label>
        <label>
          Show
          <select value={only} onChange={(e) => { setOnly(e.target.value as Only); reset(); }}>
            <option value="all">every instance</option>
            <option value="behind">behind the newest push</option>
            <option value="critical">with Critical or High</option>
            <option value="fixable">with fixable vulnerabilities</option>
            <option value="unscanned">not scanned</option>
          </select>
        </label>
        <span className="muted" role="status">
          {complete ? `${formatCount(shown.length)} shown` : `loading all ${formatCount(total)} instances (${formatCount(instances.length)} so far)…`}
        </span>
      </div>
      <ErrorMessage error={error} title="Could not load every instance" />
      <div className="table-wrap">
        <table className="instances">
          <thead>
            <tr>
              <SortableHeader column="name" sort={sort} onSort={setSort}>Name</SortableHeader>
              <SortableHeader column="repository" sort={sort} onSort={setSort}>Repository</SortableHeader>
              <SortableHeader column="tag" sort={sort} onSort={setSort}>Tag</SortableHeader>
              <th scope="col">Digest</th>
              <th scope="col">Platform</th>
              <SortableHeader column="since" sort={sort} onSort={setSort}>Since</SortableHeader>
              <th scope="col">Commit</th>
              <SortableHeader column="behind" sort={sort} onSort={setSort}>Newest push</SortableHeader>
              <SortableHeader column="risk" sort={sort} onSort={setSort}>Open vulnerabilities (fixable)</SortableHeader>
            </tr>
          </thead>
          <tbody>
            {page.map((i) => <InstanceRow key={i.name} i={i} />)}
          </tbody>
        </table>
      </div>
      {shown.length === 0 ? <p className="empty">No instance matches.</p> : null}
      <Pager total={shown.length} offset={paging.offset} limit={paging.limit} label="Instances" onChange={(offset, limit) => setPaging({ offset, limit })} />
    </section>
  );
}

function InstanceRow({ i }: { i: Instance }) {
  const p = i.platform;
  return (
    <tr>
      <td className="wrap-anywhere">{i.name}</td>
      <td className="wrap-anywhere"><Link to={pages.repository(i.repository)}>{i.repository}</Link></td>
      <td>{i.tag ?? <span className="muted">–</span>}</td>
      <td className="mono"><Link to={pages.image(i.repository, i.digest)} title={i.digest}>{shortDigest(i.digest)}</Link></td>
      <td className="nowrap">{p.os}/{p.architecture}{p.variant ? `/${p.variant}` : ''}</td>
      <td className="nowrap"><Time at={i.since} /></td>
      <td className="mono">{i.build ? <Link to={pages.build(i.repository, i.build.build_id)} title={i.build.commit ?? undefined}>{i.build.commit?.slice(0, 7) ?? i.build.build_name ?? 'build'}</Link> : <span className="muted">–</span>}</td>
      <td>
        {i.behind
          ? <span className="badge badge-behind" title={`${i.compared_tag} now points at ${i.newest_digest_for_tag}`}>behind {i.compared_tag}</span>
          : i.compared_tag ? <span className="muted">newest</span> : <span className="muted">–</span>}
      </td>
      <td>
        {i.vulnerabilities
          ? <SeverityCounts counts={i.vulnerabilities.by_severity} fixable={i.vulnerabilities.fixable} compact />
          : <span className="muted">not scanned</span>}
      </td>
    </tr>
  );
}
