/*
 * /compare "by vulnerability" (ui.md): added by head, removed by head, unchanged — one filter (ID or package, and
 * severity) over the three lists, each shown a page at a time.
 */
import { useMemo, useState } from 'react';
import { pages } from '../api/paths';
import { severities } from '../api/types';
import type { CompareAnswer, CompareVulnerability } from '../api/image-types';
import { Pager, formatCount } from '../components/pager';
import { SeverityBadge } from '../components/severity';
import { Link } from '../router';
import { resetPages, useAddressPaging } from './compare-paging';

type Lists = CompareAnswer['vulnerabilities'];

export function CompareVulnerabilities({ lists }: { lists: Lists }) {
  const [text, setText] = useState('');
  const [severity, setSeverity] = useState('');
  const keep = useMemo(() => {
    const words = text.toLowerCase().split(/\s+/).filter(Boolean);
    return (v: CompareVulnerability) => (!severity || v.severity === severity)
      && words.every((w) => v.vulnerability_id.toLowerCase().includes(w) || v.package.toLowerCase().includes(w));
  }, [text, severity]);
  const shown = useMemo(() => ({ added: lists.added.filter(keep), removed: lists.removed.filter(keep), unchanged: lists.unchanged.filter(keep) }), [lists, keep]);
  const filtered = Boolean(text.trim() || severity);
  // A changed filter starts every list at its first page.
  const resetAll = () => resetPages('added', 'removed', 'unchanged');
  return (
    <>
      <div className="toolbar" role="search" aria-label="Vulnerability filters">
        <label>
          Filter vulnerabilities
          <input type="search" value={text} placeholder="ID, package" size={30} onChange={(e) => { setText(e.target.value); resetAll(); }} />
        </label>
        <label>
          Severity
          <select value={severity} onChange={(e) => { setSeverity(e.target.value); resetAll(); }}>
            <option value="">any</option>
            {severities.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
      </div>
      <div className="split">
        <VulnerabilityList name="added" title="Added by head" items={shown.added} all={lists.added.length} filtered={filtered} />
        <VulnerabilityList name="removed" title="Removed by head" items={shown.removed} all={lists.removed.length} filtered={filtered} />
      </div>
      <details>
        <summary>Unchanged ({formatCount(filtered ? shown.unchanged.length : lists.unchanged.length)}{filtered ? ` of ${formatCount(lists.unchanged.length)}` : ''})</summary>
        <VulnerabilityList name="unchanged" title="Unchanged" items={shown.unchanged} all={lists.unchanged.length} filtered={filtered} />
      </details>
    </>
  );
}

function VulnerabilityList({ name, title, items, all, filtered }: { name: string; title: string; items: CompareVulnerability[]; all: number; filtered: boolean }) {
  const paging = useAddressPaging(name, items.length);
  const page = items.slice(paging.offset, paging.offset + paging.limit);
  return (
    <section aria-label={title}>
      <h3>{title} ({formatCount(items.length)}{filtered ? ` of ${formatCount(all)}` : ''})</h3>
      {items.length === 0 ? <p className="empty">{filtered && all > 0 ? 'None matches.' : 'None.'}</p> : (
        <>
          <div className="table-wrap">
            <table>
              <thead><tr><th scope="col">Vulnerability</th><th scope="col">Severity</th><th scope="col">Package</th><th scope="col">Fixed in</th></tr></thead>
              <tbody>
                {page.map((v) => (
                  <tr key={`${v.vulnerability_id}|${v.package}`}>
                    <td><Link to={pages.vulnerability(v.vulnerability_id)}>{v.vulnerability_id}</Link></td>
                    <td><SeverityBadge severity={v.severity} /></td><td>{v.package}</td><td className="mono">{v.fixed_version ?? <span className="muted">no fix</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager total={items.length} offset={paging.offset} limit={paging.limit} label={title} onChange={paging.onChange} />
        </>
      )}
    </section>
  );
}
