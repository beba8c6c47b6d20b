/*
 * Triage a finding (ingest.md "Triage by hand"): a CycloneDX analysis state, a justification when it is not_affected,
 * a detail in words, and the scope — this repository or the whole workspace, this package or every one. The most
 * specific decision wins; not_affected, false_positive and resolved take the finding out of the counts.
 */
import { useState, type FormEvent } from 'react';
import { post } from '../../api/client';
import { apiPaths } from '../../api/paths';
import type { Finding } from '../../api/image-types';
import { Dialog } from '../../components/dialog';
import { ErrorMessage } from '../../components/feedback';
import { FormField } from '../../components/form-field';
import { errorFor } from '../../components/field-error';

export const triageStates = [
  { id: 'in_triage', label: 'In triage — being looked at' },
  { id: 'exploitable', label: 'Exploitable — it affects us' },
  { id: 'not_affected', label: 'Not affected — counts no more' },
  { id: 'false_positive', label: 'False positive — counts no more' },
  { id: 'resolved', label: 'Resolved — counts no more' },
  { id: 'resolved_with_pedigree', label: 'Resolved with pedigree — counts no more' },
] as const;

export const justifications = [
  'code_not_present', 'code_not_reachable', 'requires_configuration', 'requires_dependency', 'requires_environment',
  'protected_by_compiler', 'protected_at_runtime', 'protected_at_perimeter', 'protected_by_mitigating_control',
] as const;

export function TriageDialog({ finding, repository, onClose, onDone }: { finding: Finding | null; repository: string; onClose: () => void; onDone: (message: string) => void }) {
  const [state, setState] = useState('not_affected');
  const [justification, setJustification] = useState('');
  const [detail, setDetail] = useState('');
  const [wholeWorkspace, setWholeWorkspace] = useState(false);
  const [onlyPackage, setOnlyPackage] = useState(true);
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  if (!finding) return <Dialog title="Triage" open={false} onClose={onClose}>{null}</Dialog>;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await post(apiPaths.triage(), {
        vulnerability: finding.vulnerability_id,
        state,
        ...(state === 'not_affected' && justification ? { justification } : {}),
        ...(detail.trim() ? { detail: detail.trim() } : {}),
        ...(wholeWorkspace ? {} : { repository }),
        ...(onlyPackage ? { package: finding.package } : {}),
      });
      onDone(`${finding.vulnerability_id} in ${finding.package}: ${state.replace(/_/g, ' ')}${wholeWorkspace ? ' (whole workspace)' : ''}.`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog title={`Triage ${finding.vulnerability_id}`} open onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <p className="help">{finding.package} {finding.installed_version ?? ''} · {finding.severity}{finding.fixed_version ? ` · fixed in ${finding.fixed_version}` : ''}</p>
        <FormField id="t-state" label="State" error={errorFor(error, 'state')}>
          <select value={state} onChange={(e) => setState(e.target.value)}>
            {triageStates.map((s) => <option key={s.id} value={s.id}>{s.label}</option>)}
          </select>
        </FormField>
        {state === 'not_affected' ? (
          <FormField id="t-justification" label="Justification" error={errorFor(error, 'justification')} help="Why it does not affect this image (CycloneDX).">
            <select value={justification} onChange={(e) => setJustification(e.target.value)}>
              <option value="">(none given)</option>
              {justifications.map((j) => <option key={j} value={j}>{j.replace(/_/g, ' ')}</option>)}
            </select>
          </FormField>
        ) : null}
        <FormField id="t-detail" label="Detail" error={errorFor(error, 'detail')} help="In words, for whoever reads it next.">
          <textarea value={detail} onChange={(e) => setDetail(e.target.value)} maxLength={4096} />
        </FormField>
        <fieldset>
          <legend>Holds for</legend>
          <label className="check"><input type="radio" name="t-scope" checked={!wholeWorkspace} onChange={() => setWholeWorkspace(false)} /> this repository ({repository})</label><br />
          <label className="check"><input type="radio" name="t-scope" checked={wholeWorkspace} onChange={() => setWholeWorkspace(true)} /> every repository of the workspace</label><br />
          <label className="check"><input type="checkbox" checked={onlyPackage} onChange={(e) => setOnlyPackage(e.target.checked)} /> only package {finding.package}</label>
        </fieldset>
        <ErrorMessage error={error} title="Not recorded" />
        <div className="button-row">
          <button type="submit" className="button-primary" disabled={busy}>{busy ? 'Saving…' : 'Save decision'}</button>
          <button type="button" className="button" onClick={onClose}>Cancel</button>
        </div>
      </form>
    </Dialog>
  );
}
