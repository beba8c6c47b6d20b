/*
 * Create or edit an admission policy (admission.md "Policies"): name, environment globs, mode, and the rules. Saved
 * with POST /policies, or PUT /policies/{name} (a new name renames it); the API's refusal names the field.
 */
import { useState, type FormEvent } from 'react';
import { ApiError, post, put } from '../../api/client';
import { apiPaths } from '../../api/paths';
import { severities } from '../../api/types';
import { Dialog } from '../../components/dialog';
import { ErrorMessage } from '../../components/feedback';
import { FormField } from '../../components/form-field';
import { errorFor, listOf } from '../../components/field-error';
import type { PolicyMode, PolicyView } from './admission-types';

export function PolicyForm({ editing, open, onClose, onSaved }: { editing: PolicyView | null; open: boolean; onClose: () => void; onSaved: (name: string) => void }) {
  const r = editing?.rules ?? {};
  const [name, setName] = useState(editing?.name ?? '');
  const [environments, setEnvironments] = useState(editing?.environments.join(', ') ?? '');
  const [mode, setMode] = useState<PolicyMode>(editing?.mode ?? 'warn');
  const [deny, setDeny] = useState(r.deny_severity ?? '');
  const [fixableOnly, setFixableOnly] = useState(r.fixable_only ?? false);
  const [requireScan, setRequireScan] = useState(r.require_scan ?? false);
  const [requireDigest, setRequireDigest] = useState(r.require_digest ?? false);
  const [allowed, setAllowed] = useState(r.allowed_repositories?.join(', ') ?? '');
  const [ignored, setIgnored] = useState(r.ignore_vulnerabilities?.join(', ') ?? '');
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    const envs = listOf(environments);
    if (!envs) {
      setError(new ApiError(0, 'FORM', 'environments must list at least one environment or glob, e.g. production or prod-eu/*', 'environments'));
      return;
    }
    const body = {
      name: name.trim(), environments: envs, mode,
      rules: {
        ...(deny ? { deny_severity: deny } : {}), ...(deny && fixableOnly ? { fixable_only: true } : {}),
        ...(requireScan ? { require_scan: true } : {}), ...(requireDigest ? { require_digest: true } : {}),
        ...(listOf(allowed) ? { allowed_repositories: listOf(allowed) } : {}), ...(listOf(ignored) ? { ignore_vulnerabilities: listOf(ignored) } : {}),
      },
    };
    setBusy(true);
    try {
      if (editing) await put(apiPaths.policy(editing.name), body);
      else await post(apiPaths.policies(), body);
      onSaved(body.name);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog title={editing ? `Edit policy ${editing.name}` : 'New policy'} open={open} onClose={onClose} wide>
      <form onSubmit={submit} noValidate>
        <FormField id="p-name" label="Name" error={errorFor(error, 'name')} help="a-z, 0-9 and -, up to 63 characters">
          <input type="text" value={name} onChange={(e) => setName(e.target.value)} required />
        </FormField>
        <FormField id="p-envs" label="Environments" error={errorFor(error, 'environments')} help={<>Comma-separated names or globs: <code>production</code>, <code>prod-eu/*</code> (a cluster's namespaces), <code>**</code> everywhere.</>}>
          <input type="text" value={environments} onChange={(e) => setEnvironments(e.target.value)} required />
        </FormField>
        <FormField id="p-mode" label="Mode" error={errorFor(error, 'mode')}>
          <select value={mode} onChange={(e) => setMode(e.target.value as PolicyMode)}>
            <option value="enforce">enforce: refuse the image</option>
            <option value="warn">warn: admit with a warning</option>
            <option value="audit">audit: admit, only record</option>
          </select>
        </FormField>
        <fieldset>
          <legend>Rules</legend>
          <FormField id="p-deny" label="Deny vulnerabilities of severity" error={errorFor(error, 'rules.deny_severity', 'rules.fixable_only')}>
            <select value={deny} onChange={(e) => setDeny(e.target.value)}>
              <option value="">(no severity rule)</option>
              {severities.map((s) => <option key={s} value={s}>{s} or worse</option>)}
            </select>
          </FormField>
          <div className="field">
            <label className="check"><input type="checkbox" checked={fixableOnly} disabled={!deny} onChange={(e) => setFixableOnly(e.target.checked)} /> only fixable ones count</label>
            <label className="check"><input type="checkbox" checked={requireScan} onChange={(e) => setRequireScan(e.target.checked)} /> refuse images without a scan</label>
            <label className="check"><input type="checkbox" checked={requireDigest} onChange={(e) => setRequireDigest(e.target.checked)} /> refuse tags Tidewatch cannot pin to a digest</label>
          </div>
          <FormField id="p-allowed" label="Allowed repositories" error={errorFor(error, 'rules.allowed_repositories')} help="Comma-separated globs; empty: any repository.">
            <input type="text" value={allowed} onChange={(e) => setAllowed(e.target.value)} placeholder="registry.example.com/acme/*" />
          </FormField>
          <FormField id="p-ignored" label="Exceptions (vulnerability ids that never count)" error={errorFor(error, 'rules.ignore_vulnerabilities')}>
            <input type="text" value={ignored} onChange={(e) => setIgnored(e.target.value)} placeholder="CVE-2023-1234" />
          </FormField>
        </fieldset>
        <ErrorMessage error={error} title="Not saved" />
        <div className="button-row">
          <button type="submit" className="button-primary" disabled={busy}>{editing ? 'Save policy' : 'Create policy'}</button>
          <button type="button" className="button" onClick={onClose}>Cancel</button>
        </div>
      </form>
    </Dialog>
  );
}
