/*
 * The findings of an image's current scan (ui.md): filtered by severity, fix state and triage on the server, a page
 * at a time (an image with 2,000 findings opens at once), each with its triage and, for write tokens, Triage /
 * Withdraw.
 */
import { del } from '../../api/client';
import { apiPaths, pages } from '../../api/paths';
import { severities } from '../../api/types';
import type { ImageView, Finding } from '../../api/image-types';
import { Pager, formatCount } from '../../components/pager';
import { SeverityBadge } from '../../components/severity';
import { Link } from '../../router';

export interface FindingFilter { severity: string[]; fix_state: string; triage: string; offset: number; limit: number }
export const defaultFilter: FindingFilter = { severity: [], fix_state: '', triage: '', offset: 0, limit: 100 };

export function FindingsTable({ findings, filter, onFilter, onTriage, onWithdrawn, mayTriage, onError }: {
  findings: ImageView['findings']; filter: FindingFilter; onFilter: (f: FindingFilter) => void;
  onTriage: (f: Finding) => void; onWithdrawn: (message: string) => void; mayTriage: boolean; onError: (e: unknown) => void;
}) {
  const toggle = (s: string) => onFilter({ ...filter, offset: 0, severity: filter.severity.includes(s) ? filter.severity.filter((x) => x !== s) : [...filter.severity, s] });
  const withdraw = async (f: Finding) => {
    try {
      await del(apiPaths.triageDecision(f.triage!.id));
      onWithdrawn(`Decision about ${f.vulnerability_id} withdrawn.`);
    } catch (e) {
      onError(e);
    }
  };
  return (
    <section aria-labelledby="findings-title">
      <h2 id="findings-title">Findings <span className="muted">({formatCount(findings.total)}{filter.severity.length || filter.fix_state || filter.triage ? ' matching' : ''})</span></h2>
      <div className="toolbar">
        <fieldset className="inline">
          <legend>Severity</legend>
          {severities.map((s) => (
            <label key={s} className="check"><input type="checkbox" checked={filter.severity.includes(s)} onChange={() => toggle(s)} /> {s}</label>
          ))}
        </fieldset>
        <label>
          Fix state
          <select value={filter.fix_state} onChange={(e) => onFilter({ ...filter, offset: 0, fix_state: e.target.value })}>
            <option value="">any</option>
            <option value="fixed">a fix exists</option>
            <option value="not_fixed">no fix yet</option>
            <option value="wont_fix">won't be fixed</option>
            <option value="unknown">unknown</option>
          </select>
        </label>
        <label>
          Triage
          <select value={filter.triage} onChange={(e) => onFilter({ ...filter, offset: 0, triage: e.target.value })}>
            <option value="">any</option>
            <option value="open">open (counted)</option>
            <option value="suppressed">suppressed by a decision</option>
          </select>
        </label>
      </div>
      <div className="table-wrap">
        <table className="findings">
          <thead>
            <tr>
              <th scope="col">Vulnerability</th><th scope="col">Severity</th><th scope="col">Package</th><th scope="col">Installed</th>
              <th scope="col">Fixed in</th><th scope="col" className="num">CVSS</th><th scope="col">Triage</th>{mayTriage ? <th scope="col">Actions</th> : null}
            </tr>
          </thead>
          <tbody>
            {findings.items.map((f) => (
              <tr key={`${f.vulnerability_id}|${f.package}|${f.location ?? ''}`} data-finding={f.vulnerability_id}>
                <td className="nowrap"><Link to={pages.vulnerability(f.vulnerability_id)}>{f.vulnerability_id}</Link></td>
                <td><SeverityBadge severity={f.severity} /></td>
                <td className="wrap-anywhere">{f.package}{f.location ? <div className="help">{f.location}</div> : null}</td>
                <td className="mono">{f.installed_version ?? '–'}</td>
                <td className="mono">{f.fixed_version ?? <span className="muted">{f.fix_state.replace('_', ' ')}</span>}</td>
                <td className="num">{f.cvss ?? '–'}</td>
                <td>
                  {f.triage
                    ? <span className={f.suppressed ? 'badge' : 'badge badge-behind'} title={f.triage.detail ?? undefined}>{f.triage.state.replace(/_/g, ' ')}{f.triage.justification ? `: ${f.triage.justification.replace(/_/g, ' ')}` : ''}</span>
                    : <span className="muted">open</span>}
                  {f.triage ? <div className="help">{f.triage.repository ? 'this repository' : 'whole workspace'}{f.triage.package ? `, ${f.triage.package}` : ''}</div> : null}
                </td>
                {mayTriage ? (
                  <td>
                    <div className="button-row">
                      <button type="button" className="button-small" onClick={() => onTriage(f)} aria-label={`Triage ${f.vulnerability_id} in ${f.package}`}>Triage</button>
                      {f.triage ? <button type="button" className="button-small" onClick={() => withdraw(f)} aria-label={`Withdraw the decision about ${f.vulnerability_id}`}>Withdraw</button> : null}
                    </div>
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {findings.items.length === 0 ? <p className="empty">No finding matches.</p> : null}
      <Pager total={findings.total} offset={filter.offset} limit={filter.limit} label="Findings" sizes={[100, 500, 1000]} onChange={(offset, limit) => onFilter({ ...filter, offset, limit })} />
    </section>
  );
}
