/* Recent admission decisions (ui.md `/policies`, `/clusters`): newest first, by result, older pages by cursor. */
import { useState } from 'react';
import { apiPaths } from '../../api/paths';
import { useApi } from '../../api/use-api';
import { Loaded } from '../../components/feedback';
import { Time } from '../../components/time';
import type { DecisionsPage } from './admission-types';

export function AdmissionDecisions() {
  const [result, setResult] = useState('');
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const page = useApi<DecisionsPage>(apiPaths.admissionDecisions({ limit: 50, result: result || undefined, cursor }));
  return (
    <section aria-labelledby="decisions-title">
      <div className="header-row">
        <h2 id="decisions-title">Recent admission decisions</h2>
        <label>Result{' '}
          <select value={result} onChange={(e) => { setResult(e.target.value); setCursors([]); }}>
            <option value="">all</option><option value="refused">refused</option><option value="warned">warned</option><option value="allowed">allowed</option>
          </select>
        </label>
      </div>
      <Loaded what="admission decisions" state={page}>
        {(p) => p.decisions.length === 0 ? <p className="empty">No admission decided yet{result ? ` with result ${result}` : ''}.</p> : (
          <>
            <div className="table-wrap">
              <table className="decisions">
                <thead><tr><th scope="col">When</th><th scope="col">Cluster</th><th scope="col">Environment</th><th scope="col">Image</th><th scope="col">Result</th><th scope="col">Why</th></tr></thead>
                <tbody>
                  {p.decisions.map((d, i) => (
                    <tr key={`${d.at}-${i}`}>
                      <td className="nowrap"><Time at={d.at} /></td>
                      <td>{d.cluster ?? <span className="muted">deleted</span>}</td>
                      <td>{d.environment}</td>
                      <td className="wrap-anywhere mono">{d.image}</td>
                      <td><span className={d.result === 'refused' ? 'badge badge-bad' : d.result === 'warned' ? 'badge badge-behind' : 'badge badge-ok'}>{d.result}</span></td>
                      <td>{d.messages.length ? d.messages.map((m, j) => <div key={j}>{m}</div>) : <span className="muted">–</span>}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <div className="pager">
              <button type="button" className="button-small" disabled={cursors.length === 0} onClick={() => setCursors((c) => c.slice(0, -1))}>Newer</button>
              <button type="button" className="button-small" disabled={!p.next_cursor} onClick={() => setCursors((c) => [...c, p.next_cursor!])}>Older</button>
            </div>
          </>
        )}
      </Loaded>
    </section>
  );
}
