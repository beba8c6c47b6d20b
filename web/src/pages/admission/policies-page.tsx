/*
 * `/policies` (ui.md): the admission policies with their rules and modes, create and edit (admins), the check a
 * pipeline makes ("would this image be admitted here?"), and the recent admission decisions.
 */
import { useState, type FormEvent } from 'react';
import { del } from '../../api/client';
import { apiPaths } from '../../api/paths';
import { useApi } from '../../api/use-api';
import { ErrorMessage, Loaded, Notice } from '../../components/feedback';
import { Time } from '../../components/time';
import { useTitle } from '../../components/use-title';
import { mayAct } from '../../session/identify';
import type { Identity } from '../../session/token-store';
import { AdmissionDecisions } from './admission-decisions';
import { rulesSummary, type PolicyCheck, type PolicyView } from './admission-types';
import { PolicyForm } from './policy-form';

export function PoliciesPage({ identity }: { identity: Identity }) {
  useTitle('Policies');
  const admin = mayAct(identity, 'admin');
  const list = useApi<{ policies: PolicyView[] }>(apiPaths.policies());
  const [form, setForm] = useState<{ open: boolean; editing: PolicyView | null; key: number }>({ open: false, editing: null, key: 0 });
  const [confirming, setConfirming] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(undefined);
  const open = (editing: PolicyView | null) => setForm((f) => ({ open: true, editing, key: f.key + 1 }));
  const remove = async (p: PolicyView) => {
    setError(undefined);
    try {
      await del(apiPaths.policy(p.name));
      setConfirming(null);
      setNotice(`Policy ${p.name} deleted.`);
      list.reload();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <>
      <div className="header-row">
        <h1>Policies</h1>
        {admin ? <button type="button" className="button-primary" onClick={() => open(null)}>New policy</button> : null}
      </div>
      <p className="help">Checked when a Kubernetes cluster admits a workload (see Clusters) and by <code>tidewatch policy check</code> in a pipeline. Every policy whose environments match applies; the strictest wins.</p>
      {notice ? <Notice>{notice}</Notice> : null}
      <ErrorMessage error={error} />
      <Loaded what="policies" state={list}>
        {({ policies }) => policies.length === 0 ? <p className="empty">No policy yet: every image is admitted.</p> : (
          <div className="table-wrap">
            <table className="policies">
              <thead><tr><th scope="col">Name</th><th scope="col">Environments</th><th scope="col">Mode</th><th scope="col">Rules</th><th scope="col">Updated</th>{admin ? <th scope="col"><span className="visually-hidden">Actions</span></th> : null}</tr></thead>
              <tbody>
                {policies.map((p) => (
                  <tr key={p.name}>
                    <td><strong>{p.name}</strong></td>
                    <td>{p.environments.map((e) => <code key={e}>{e} </code>)}</td>
                    <td><span className={p.mode === 'enforce' ? 'badge badge-bad' : p.mode === 'warn' ? 'badge badge-behind' : 'badge'}>{p.mode}</span></td>
                    <td>{rulesSummary(p.rules)}</td>
                    <td><Time at={p.updated_at} /></td>
                    {admin ? (
                      <td>
                        <div className="button-row">
                          <button type="button" className="button-small" onClick={() => open(p)} aria-label={`Edit ${p.name}`}>Edit</button>
                          {confirming === p.name ? (
                            <>
                              <button type="button" className="button-danger button-small" onClick={() => remove(p)}>Yes, delete</button>
                              <button type="button" className="button-small" onClick={() => setConfirming(null)}>Keep</button>
                            </>
                          ) : <button type="button" className="button-danger button-small" onClick={() => setConfirming(p.name)} aria-label={`Delete ${p.name}`}>Delete</button>}
                        </div>
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Loaded>
      <PolicyCheckForm />
      <AdmissionDecisions />
      <PolicyForm key={form.key} editing={form.editing} open={form.open} onClose={() => setForm((f) => ({ ...f, open: false }))}
        onSaved={(name) => { setForm((f) => ({ ...f, open: false })); setNotice(`Policy ${name} saved.`); list.reload(); }} />
    </>
  );
}

function PolicyCheckForm() {
  const [image, setImage] = useState('');
  const [environment, setEnvironment] = useState('');
  const [asked, setAsked] = useState<string | null>(null);
  const check = useApi<PolicyCheck>(asked);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setAsked(apiPaths.policyCheck(image.trim(), environment.trim()));
  };
  return (
    <section aria-labelledby="check-title">
      <h2 id="check-title">Would this image be admitted?</h2>
      <form onSubmit={submit} className="toolbar">
        <label>Image<input type="text" value={image} onChange={(e) => setImage(e.target.value)} size={50} placeholder="registry.example.com/acme/web:1.4.2" required /></label>
        <label>Environment<input type="text" value={environment} onChange={(e) => setEnvironment(e.target.value)} placeholder="production" required /></label>
        <button type="submit" className="button">Check</button>
      </form>
      {asked ? (
        <Loaded what="the check" state={check}>
          {(c) => (
            <div data-testid="policy-check">
              <p><span className={c.result === 'refused' ? 'badge badge-bad' : c.result === 'warned' ? 'badge badge-behind' : 'badge badge-ok'}>{c.result}</span>{' '}
                <code>{c.image}</code> in {c.environment}{c.resolved_from === 'tag' ? ' (digest from the tag\'s last push)' : c.digest === null ? ' (no digest known)' : ''}</p>
              {c.decisions.length > 0 ? <ul>{c.decisions.map((d, i) => <li key={i}><strong>{d.policy}</strong> ({d.mode}, {d.rule}): {d.message}</li>)}</ul> : <p className="help">No rule broken.</p>}
            </div>
          )}
        </Loaded>
      ) : null}
    </section>
  );
}
