/*
 * Registry hooks on the Integrations page: per registry, its URL and the snippet to paste; for the registries that
 * authenticate by a secret URL, admins make one here (shown once, POST /api/v1/hooks) and see and delete the existing
 * ones (GET/DELETE /api/v1/hooks). The generic push call for any other CI closes the list.
 */
import { useState } from 'react';
import { del, post } from '../../api/client';
import { apiPaths } from '../../api/paths';
import { useApi } from '../../api/use-api';
import type { HookView } from '../../api/types';
import { CopyBlock } from '../../components/copy-block';
import { ErrorMessage, Loaded, Notice } from '../../components/feedback';
import { Time } from '../../components/time';
import { mayAct } from '../../session/identify';
import type { Identity } from '../../session/token-store';
import { hookGuides, type HookGuide } from './hook-snippets';

export function RegistryHooks({ origin, identity }: { origin: string; identity: Identity }) {
  const admin = mayAct(identity, 'admin');
  const hooks = useApi<{ hooks: HookView[] }>(admin ? apiPaths.hooks() : null);
  const [made, setMade] = useState<Record<string, { url: string; secret: string }>>({});
  const [error, setError] = useState<unknown>(undefined);
  const [notice, setNotice] = useState<string | null>(null);

  const create = async (g: HookGuide, registryHost: string, signingSecret: string) => {
    setError(undefined);
    setNotice(null);
    try {
      const answer = await post<HookView & { url: string; secret: string }>(apiPaths.hooks(), {
        kind: g.kind,
        ...(registryHost.trim() ? { registry_host: registryHost.trim() } : {}),
        ...(signingSecret ? { secret: signingSecret } : {}),
      });
      setMade((m) => ({ ...m, [g.kind]: { url: answer.url, secret: answer.secret } }));
      hooks.reload();
    } catch (e) {
      setError(e);
    }
  };
  const remove = async (h: HookView) => {
    setError(undefined);
    try {
      await del(apiPaths.hook(h.id));
      setNotice(`Hook endpoint ${h.kind} (${h.id.slice(0, 8)}) deleted: its URL no longer works.`);
      hooks.reload();
    } catch (e) {
      setError(e);
    }
  };

  return (
    <section aria-labelledby="hooks-title">
      <h2 id="hooks-title">Registry hooks</h2>
      <p>Point your registry at Tidewatch and every push is recorded as it happens (tags, digests, platforms).</p>
      {notice ? <Notice>{notice}</Notice> : null}
      <ErrorMessage error={error} title="Hook endpoint not changed" />
      {hookGuides.map((g) => <HookCard key={g.kind} guide={g} origin={origin} made={made[g.kind]} mayCreate={admin} onCreate={create} />)}
      <h3>Any other registry or CI step</h3>
      <CopyBlock label="push call" text={[
        `curl ${origin}/api/v1/pushes -X POST \\`,
        '  -H "Content-Type: application/json" -H "Authorization: Bearer $TIDEWATCH_TOKEN" \\',
        `  -d '{"image": "ghcr.io/acme/web:1.4.2@sha256:<64 hex>"}'`,
      ].join('\n')} />
      {admin ? (
        <>
          <h3>Hook endpoints of this workspace</h3>
          <Loaded what="hook endpoints" state={hooks}>
            {({ hooks: list }) => list.length === 0 ? <p className="empty">None made yet.</p> : (
              <div className="table-wrap">
                <table>
                  <thead><tr><th scope="col">Kind</th><th scope="col">Registry host</th><th scope="col">Signed</th><th scope="col">Created</th><th scope="col">Id</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr></thead>
                  <tbody>
                    {list.map((h) => (
                      <tr key={h.id}>
                        <td>{h.kind}</td><td>{h.registry_host ?? <span className="muted">from the payload</span>}</td><td>{h.signed ? 'yes' : 'no'}</td>
                        <td><Time at={h.created_at} /></td><td className="mono">{h.id.slice(0, 8)}</td>
                        <td><button type="button" className="button-danger button-small" onClick={() => remove(h)} aria-label={`Delete ${h.kind} hook endpoint ${h.id.slice(0, 8)}`}>Delete</button></td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </Loaded>
        </>
      ) : <p className="help">An admin token sees and makes the secret hook URLs.</p>}
    </section>
  );
}

function HookCard({ guide: g, origin, made, mayCreate, onCreate }: {
  guide: HookGuide; origin: string; made: { url: string; secret: string } | undefined; mayCreate: boolean;
  onCreate: (g: HookGuide, registryHost: string, signingSecret: string) => void;
}) {
  const [host, setHost] = useState('');
  const [signing, setSigning] = useState('');
  const url = g.url(origin, made?.url);
  return (
    <details className="hook" data-hook={g.kind}>
      <summary><strong>{g.title}</strong> <code>{g.url(origin)}</code></summary>
      <p>{g.steps}</p>
      {made ? <p className="secret-once">The secret URL, shown this once: keep it in the registry's settings only.</p> : null}
      <CopyBlock label={`${g.title} configuration`} text={g.snippet(url)} />
      {g.usesSecretUrl && mayCreate && !made ? (
        <div className="toolbar">
          {g.kind !== 'dockerhub' ? (
            <label>Registry host (optional)<input type="text" value={host} onChange={(e) => setHost(e.target.value)} placeholder={g.kind === 'github' ? 'ghcr.io' : 'quay.io'} /></label>
          ) : null}
          {g.kind === 'github' ? <label>Signing secret (optional)<input type="password" autoComplete="off" value={signing} onChange={(e) => setSigning(e.target.value)} /></label> : null}
          <button type="button" className="button-primary" onClick={() => onCreate(g, host, signing)}>Make a secret URL for {g.title}</button>
        </div>
      ) : null}
    </details>
  );
}
