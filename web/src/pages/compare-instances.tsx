/*
 * /compare "by repository" (ui.md): the instances that differ between base and head, filtered in the browser by
 * name or repository and by kind of change, a page at a time (two large environments differ in thousands).
 */
import { useMemo, useState } from 'react';
import { pages, shortDigest } from '../api/paths';
import type { CompareAnswer, CompareUnit } from '../api/image-types';
import { Pager, formatCount } from '../components/pager';
import { Link } from '../router';
import { useAddressPaging } from './compare-paging';

type Change = 'all' | 'added' | 'removed' | 'changed';

export const compareUnit = (u: CompareUnit | null) => u
  ? <><Link to={pages.image(u.repository, u.digest)} className="mono" title={u.digest}>{shortDigest(u.digest)}</Link>{u.tag ? ` (${u.tag})` : ''}{u.scanned ? '' : <span className="muted"> not scanned</span>}</>
  : <span className="muted">–</span>;

export function CompareInstances({ instances, unchanged }: { instances: CompareAnswer['instances']; unchanged: number }) {
  const [text, setText] = useState('');
  const [change, setChange] = useState<Change>('all');
  const shown = useMemo(() => {
    const words = text.toLowerCase().split(/\s+/).filter(Boolean);
    return instances.filter((i) => (change === 'all' || i.change === change) && words.every((w) =>
      i.name.toLowerCase().includes(w) || ((i.head ?? i.base)?.repository ?? '').toLowerCase().includes(w)));
  }, [instances, text, change]);
  const paging = useAddressPaging('instances', shown.length);
  const page = shown.slice(paging.offset, paging.offset + paging.limit);

  if (instances.length === 0) return <p className="empty">No instance differs ({formatCount(unchanged)} unchanged).</p>;
  return (
    <section aria-label="Instances that differ">
      <div className="toolbar" role="search" aria-label="Instance filters">
        <label>
          Filter instances
          <input type="search" value={text} placeholder="name, repository" size={30} onChange={(e) => { setText(e.target.value); paging.reset(); }} />
        </label>
        <label>
          Change
          <select value={change} onChange={(e) => { setChange(e.target.value as Change); paging.reset(); }}>
            <option value="all">any</option>
            <option value="added">added</option>
            <option value="removed">removed</option>
            <option value="changed">changed</option>
          </select>
        </label>
        <span className="muted" role="status">{formatCount(shown.length)} of {formatCount(instances.length)} differ</span>
      </div>
      <div className="table-wrap">
        <table className="compare-instances">
          <thead><tr><th scope="col">Instance</th><th scope="col">Change</th><th scope="col">Repository</th><th scope="col">Base</th><th scope="col">Head</th></tr></thead>
          <tbody>
            {page.map((i) => (
              <tr key={i.name}>
                <td>{i.name}</td><td><span className="badge">{i.change}</span></td>
                <td className="wrap-anywhere">{(i.head ?? i.base)?.repository}</td><td>{compareUnit(i.base)}</td><td>{compareUnit(i.head)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {shown.length === 0 ? <p className="empty">No instance matches.</p> : null}
      <Pager total={shown.length} offset={paging.offset} limit={paging.limit} label="Instances" onChange={paging.onChange} />
      {unchanged > 0 ? <p className="help">{formatCount(unchanged)} instance{unchanged === 1 ? '' : 's'} unchanged.</p> : null}
    </section>
  );
}
