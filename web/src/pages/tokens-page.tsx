/*
 * `/settings/tokens` (ui.md; security.md): the workspace's tokens — name, role, scope, prefix, last used, expiry —
 * create (the token is shown once) and revoke. Admins only; the API says so too (403 for others).
 */
import { useState, type FormEvent } from 'react';
import { del, post } from '../api/client';
import { apiPaths } from '../api/paths';
import { useApi } from '../api/use-api';
import type { TokenView } from '../api/types';
import { CopyBlock } from '../components/copy-block';
import { ErrorMessage, Loaded, Notice } from '../components/feedback';
import { FormField } from '../components/form-field';
import { errorFor } from '../components/field-error';
import { Time } from '../components/time';
import { useTitle } from '../components/use-title';
import type { Identity } from '../session/token-store';

export function TokensPage({ identity }: { identity: Identity }) {
  useTitle('Tokens');
  const list = useApi<{ tokens: TokenView[] }>(apiPaths.tokens());
  const [role, setRole] = useState('read');
  const [name, setName] = useState('');
  const [glob, setGlob] = useState('');
  const [expires, setExpires] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const [created, setCreated] = useState<(TokenView & { token: string }) | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [showRevoked, setShowRevoked] = useState(false);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    setNotice(null);
    try {
      const t = await post<TokenView & { token: string }>(apiPaths.tokens(), {
        role, ...(name.trim() ? { name: name.trim() } : {}), ...(glob.trim() ? { repository_glob: glob.trim() } : {}), ...(expires.trim() ? { expires_in: expires.trim() } : {}),
      });
      setCreated(t);
      setName('');
      setGlob('');
      setExpires('');
      list.reload();
    } catch (err) {
      setError(err);
    }
  };
  const revoke = async (t: TokenView) => {
    setError(undefined);
    try {
      await del(apiPaths.token(t.id));
      setConfirming(null);
      setNotice(`Token ${t.name} (${t.prefix}…) revoked: it is refused from now on.`);
      list.reload();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <>
      <h1>Tokens</h1>
      {notice ? <Notice>{notice}</Notice> : null}
      {created ? (
        <div className="secret-once" data-testid="new-token">
          <h2>Token {created.name}: shown this once</h2>
          <p>Copy it now into the CI secret or the tool that needs it; Tidewatch keeps only its hash and cannot show it again.</p>
          <CopyBlock text={created.token} label="new token" id="new-token-value" />
          <button type="button" className="button" onClick={() => setCreated(null)}>I have copied it</button>
        </div>
      ) : null}
      <section aria-labelledby="create-title">
        <h2 id="create-title">Create a token</h2>
        <form onSubmit={create} className="toolbar" noValidate>
          <FormField id="tk-role" label="Role" error={errorFor(error, 'role')}>
            <select value={role} onChange={(e) => setRole(e.target.value)}>
              <option value="read">read: look only</option>
              <option value="write">write: deployments, pushes, builds, scans, triage</option>
              <option value="admin">admin: everything</option>
            </select>
          </FormField>
          <FormField id="tk-name" label="Name" error={errorFor(error, 'name')}>
            <input type="text" value={name} onChange={(e) => setName(e.target.value)} placeholder="ci" maxLength={100} />
          </FormField>
          <FormField id="tk-glob" label="Repositories" error={errorFor(error, 'repository_glob')} help={identity.repositoryGlob ? `within ${identity.repositoryGlob}` : 'empty: all'}>
            <input type="text" value={glob} onChange={(e) => setGlob(e.target.value)} placeholder="ghcr.io/acme/*" />
          </FormField>
          <FormField id="tk-expires" label="Expires in" error={errorFor(error, 'expires_in')} help="30d, 12h, 90m or a date; empty: never">
            <input type="text" value={expires} onChange={(e) => setExpires(e.target.value)} placeholder="90d" size={10} />
          </FormField>
          <div className="field"><button type="submit" className="button-primary">Create token</button></div>
        </form>
        <ErrorMessage error={error} />
      </section>
      <section aria-labelledby="list-title">
        <div className="header-row">
          <h2 id="list-title">Tokens of this workspace</h2>
          <label className="check"><input type="checkbox" checked={showRevoked} onChange={(e) => setShowRevoked(e.target.checked)} /> Show revoked</label>
        </div>
        <Loaded what="tokens" state={list}>
          {({ tokens }) => (
            <div className="table-wrap">
              <table className="tokens">
                <thead><tr><th scope="col">Name</th><th scope="col">Role</th><th scope="col">Repositories</th><th scope="col">Prefix</th><th scope="col">Last used</th><th scope="col">Expires</th><th scope="col">Created</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr></thead>
                <tbody>
                  {tokens.filter((t) => showRevoked || !t.revoked).map((t) => (
                    <tr key={t.id} data-token={t.prefix} className={t.revoked ? 'muted' : undefined}>
                      <td>{t.name}{t.prefix === identity.prefix ? <span className="badge"> this session</span> : null}</td>
                      <td>{t.role}</td>
                      <td>{t.repository_glob ? <code>{t.repository_glob}</code> : <span className="muted">all</span>}</td>
                      <td className="mono">{t.prefix}…</td>
                      <td><Time at={t.last_used_at} /></td>
                      <td>{t.expires_at ? <Time at={t.expires_at} /> : <span className="muted">never</span>}</td>
                      <td><Time at={t.created_at} /></td>
                      <td>
                        {t.revoked ? <span>revoked <Time at={t.revoked_at} /></span> : confirming === t.id ? (
                          <div className="button-row">
                            <button type="button" className="button-danger button-small" onClick={() => revoke(t)}>Yes, revoke</button>
                            <button type="button" className="button-small" onClick={() => setConfirming(null)}>Keep</button>
                          </div>
                        ) : <button type="button" className="button-danger button-small" onClick={() => setConfirming(t.id)} aria-label={`Revoke ${t.name} (${t.prefix}…)`}>Revoke</button>}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Loaded>
      </section>
    </>
  );
}
