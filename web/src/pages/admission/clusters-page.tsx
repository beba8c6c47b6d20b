/*
 * `/clusters` (ui.md; admission.md "Clusters"): the Kubernetes clusters that send admissions, add one (its secret
 * and webhook URL shown once, with the `tidewatch k8s manifest` command ready to copy), rotate its secret, delete
 * it, and the recent admission decisions. Clusters are admin-only in the API, so others see the decisions only.
 */
import { useState, type FormEvent } from 'react';
import { del, post } from '../../api/client';
import { apiPaths } from '../../api/paths';
import { useApi } from '../../api/use-api';
import { CopyBlock } from '../../components/copy-block';
import { Dialog } from '../../components/dialog';
import { ErrorMessage, Loaded, Notice } from '../../components/feedback';
import { FormField } from '../../components/form-field';
import { errorFor } from '../../components/field-error';
import { Time } from '../../components/time';
import { useTitle } from '../../components/use-title';
import { mayAct } from '../../session/identify';
import type { Identity } from '../../session/token-store';
import { AdmissionDecisions } from './admission-decisions';
import type { ClusterView, ClusterWithSecret } from './admission-types';

export function manifestCommand(cluster: ClusterWithSecret, origin: string): string {
  return [
    `export TIDEWATCH_CLUSTER_SECRET=${cluster.secret}`,
    `npx tidewatch k8s manifest --cluster ${cluster.name} --url ${origin} --ca-file ca.pem${cluster.fail_closed ? ' --fail-closed' : ''} | kubectl apply -f -`,
  ].join('\n');
}

export function ClustersPage({ identity }: { identity: Identity }) {
  useTitle('Clusters');
  const admin = mayAct(identity, 'admin');
  const list = useApi<{ clusters: ClusterView[] }>(admin ? apiPaths.clusters() : null);
  const [adding, setAdding] = useState(false);
  const [shown, setShown] = useState<ClusterWithSecret | null>(null);
  const [confirming, setConfirming] = useState<{ name: string; action: 'rotate' | 'delete' } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(undefined);

  const act = async (c: ClusterView, action: 'rotate' | 'delete') => {
    setError(undefined);
    setNotice(null);
    try {
      if (action === 'rotate') setShown(await post<ClusterWithSecret>(apiPaths.clusterRotate(c.name)));
      else {
        await del(apiPaths.cluster(c.name));
        setNotice(`Cluster ${c.name} deleted: its webhook URL stops working; what it recorded stays.`);
      }
      setConfirming(null);
      list.reload();
    } catch (e) {
      setError(e);
    }
  };

  return (
    <>
      <div className="header-row">
        <h1>Clusters</h1>
        {admin ? <button type="button" className="button-primary" onClick={() => setAdding(true)}>Add cluster</button> : null}
      </div>
      <p className="help">A cluster's API server sends every Pod and workload admission to Tidewatch: what runs is recorded as environments <code>&lt;cluster&gt;/&lt;namespace&gt;</code>, and Policies may refuse an image.</p>
      {notice ? <Notice>{notice}</Notice> : null}
      <ErrorMessage error={error} />
      {admin ? (
        <Loaded what="clusters" state={list}>
          {({ clusters }) => clusters.length === 0 ? <p className="empty">No cluster yet.</p> : (
            <div className="table-wrap">
              <table className="clusters">
                <thead><tr><th scope="col">Name</th><th scope="col">When Tidewatch's database is down</th><th scope="col">Added</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr></thead>
                <tbody>
                  {clusters.map((c) => (
                    <tr key={c.name}>
                      <td><strong>{c.name}</strong></td>
                      <td>{c.fail_closed ? 'refuse admissions (fail closed)' : 'admit with a warning'}</td>
                      <td><Time at={c.created_at} /></td>
                      <td>
                        {confirming?.name === c.name ? (
                          <div className="button-row">
                            <span>{confirming.action === 'rotate' ? 'The old webhook URL stops working at once.' : 'Its webhook URL stops working.'}</span>
                            <button type="button" className="button-danger button-small" onClick={() => act(c, confirming.action)}>Yes, {confirming.action}</button>
                            <button type="button" className="button-small" onClick={() => setConfirming(null)}>Keep</button>
                          </div>
                        ) : (
                          <div className="button-row">
                            <button type="button" className="button-small" onClick={() => setConfirming({ name: c.name, action: 'rotate' })} aria-label={`Rotate the secret of ${c.name}`}>Rotate secret</button>
                            <button type="button" className="button-danger button-small" onClick={() => setConfirming({ name: c.name, action: 'delete' })} aria-label={`Delete ${c.name}`}>Delete</button>
                          </div>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Loaded>
      ) : <p className="help">Clusters are listed for admin tokens only; this one is {identity.role}.</p>}
      <AdmissionDecisions />
      <AddCluster open={adding} onClose={() => setAdding(false)} onAdded={(c) => { setAdding(false); setShown(c); list.reload(); }} />
      <Dialog title={shown ? `Cluster ${shown.name}: its secret, shown once` : 'Cluster'} open={shown !== null} onClose={() => setShown(null)} wide>
        {shown ? <ClusterSecret cluster={shown} onDone={() => setShown(null)} /> : null}
      </Dialog>
    </>
  );
}

function AddCluster({ open, onClose, onAdded }: { open: boolean; onClose: () => void; onAdded: (c: ClusterWithSecret) => void }) {
  const [name, setName] = useState('');
  const [failClosed, setFailClosed] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    try {
      onAdded(await post<ClusterWithSecret>(apiPaths.clusters(), { name: name.trim(), ...(failClosed ? { fail_closed: true } : {}) }));
      setName('');
      setFailClosed(false);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Dialog title="Add cluster" open={open} onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <FormField id="k-name" label="Name" error={errorFor(error, 'name')} help="a-z, 0-9 and -, as Kubernetes names things; environments become <name>/<namespace>">
          <input type="text" value={name} onChange={(e) => setName(e.target.value)} required placeholder="prod-eu" />
        </FormField>
        <label className="check"><input type="checkbox" checked={failClosed} onChange={(e) => setFailClosed(e.target.checked)} /> Refuse admissions while Tidewatch's database cannot be reached (fail closed)</label>
        <ErrorMessage error={error} title="Not added" />
        <div className="button-row">
          <button type="submit" className="button-primary">Add cluster</button>
          <button type="button" className="button" onClick={onClose}>Cancel</button>
        </div>
      </form>
    </Dialog>
  );
}

function ClusterSecret({ cluster, onDone }: { cluster: ClusterWithSecret; onDone: () => void }) {
  const origin = window.location.origin;
  return (
    <div data-testid="cluster-secret">
      <p>Tidewatch keeps only a hash of this secret; to lose it means rotating it. The API server calls this webhook URL:</p>
      <CopyBlock text={cluster.webhook_url} label="webhook URL" />
      <CopyBlock text={cluster.secret} label="cluster secret" id="cluster-secret-value" />
      <h3>Apply the webhook configuration</h3>
      <p className="help">With the CA that signed Tidewatch's serving certificate in <code>ca.pem</code>:</p>
      <CopyBlock text={manifestCommand(cluster, origin)} label="k8s manifest command" id="manifest-command" />
      {origin.startsWith('http:') ? <p className="warning">The API server calls webhooks over HTTPS only: serve Tidewatch with <code>--tls-cert</code> and <code>--tls-key</code> and give its https address as <code>--url</code>.</p> : null}
      <div className="button-row"><button type="button" className="button-primary" onClick={onDone}>Done</button></div>
    </div>
  );
}
