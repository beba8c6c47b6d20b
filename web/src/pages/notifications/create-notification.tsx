/*
 * Create Notification, as the seed has it (Quay: Settings → Create Notification → "When this event occurs" → the
 * event's fields → "Then issue a notification" → the method's fields). A webhook's signing secret is in the create
 * answer only, so it is shown here once, with how a receiver checks it.
 */
import { useState, type FormEvent } from 'react';
import { ApiError, post } from '../../api/client';
import { apiPaths } from '../../api/paths';
import { useApi } from '../../api/use-api';
import type { EnvironmentSummary } from '../../api/types';
import { Dialog } from '../../components/dialog';
import { ErrorMessage } from '../../components/feedback';
import { FormField } from '../../components/form-field';
import { errorFor } from '../../components/field-error';
import { CopyBlock } from '../../components/copy-block';
import { events, methods, type NotificationView } from './notification-model';
import { bodyOf, DraftError, emptyDraft, type Draft } from './notification-draft';
import { EventFields } from './event-fields';
import { MethodFields } from './method-fields';

export function CreateNotification({ repository, open, onClose, onCreated }: {
  repository: string; open: boolean; onClose: () => void; onCreated: () => void;
}) {
  const [draft, setDraft] = useState<Draft>(emptyDraft);
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<(NotificationView & { secret?: string }) | null>(null);
  const envs = useApi<{ environments: EnvironmentSummary[] }>(open ? apiPaths.environments() : null);
  const change = (patch: Partial<Draft>) => setDraft((d) => ({ ...d, ...patch }));

  const close = () => {
    setDraft(emptyDraft);
    setError(undefined);
    setCreated(null);
    onClose();
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    let body: Record<string, unknown>;
    try {
      body = bodyOf(draft);
    } catch (err) {
      setError(err instanceof DraftError ? new ApiError(0, 'FORM', err.message, err.field) : err);
      return;
    }
    setBusy(true);
    try {
      const answer = await post<NotificationView & { secret?: string }>(apiPaths.notifications(repository), body);
      setCreated(answer);
      onCreated();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog title={created ? 'Notification created' : 'Create Notification'} open={open} onClose={close} wide>
      {created ? <Created n={created} onDone={close} /> : (
        <form onSubmit={submit} noValidate>
          <p className="help">Notifications of <code>{repository}</code>. Adding one needs an admin token for the repository.</p>
          <FormField id="n-event" label="When this event occurs" error={errorFor(error, 'event', 'eventConfig')}>
            <select value={draft.event} onChange={(x) => change({ event: x.target.value as Draft['event'] })} required>
              <option value="">Select an event…</option>
              {events.map((ev) => <option key={ev.id} value={ev.id}>{ev.label}</option>)}
            </select>
          </FormField>
          <EventFields draft={draft} onChange={change} error={error} environments={envs.data?.environments.map((x) => x.name) ?? []} />
          <FormField id="n-method" label="Then issue a notification" error={errorFor(error, 'method', 'config')}>
            <select value={draft.method} onChange={(x) => change({ method: x.target.value as Draft['method'] })} required>
              <option value="">Select a method…</option>
              {methods.map((m) => <option key={m.id} value={m.id}>{m.label}</option>)}
            </select>
          </FormField>
          <MethodFields draft={draft} onChange={change} error={error} />
          <FormField id="n-title" label="Title (optional)" error={errorFor(error, 'title')}>
            <input type="text" value={draft.title} onChange={(x) => change({ title: x.target.value })} maxLength={200} />
          </FormField>
          <ErrorMessage error={error} title="Not created" />
          <div className="button-row">
            <button type="submit" className="button-primary" disabled={busy}>{busy ? 'Creating…' : 'Create Notification'}</button>
            <button type="button" className="button" onClick={close}>Cancel</button>
          </div>
        </form>
      )}
    </Dialog>
  );
}

function Created({ n, onDone }: { n: NotificationView & { secret?: string }; onDone: () => void }) {
  return (
    <>
      <p>The notification is active. Use <strong>Test</strong> in the list to send the event's sample payload now.</p>
      {n.secret ? (
        <div className="secret-once" data-testid="webhook-secret">
          <h3>Webhook signing secret: shown this once</h3>
          <p>Keep it where the receiver can read it; Tidewatch will not show it again. Every POST carries
            <code> webhook-id</code>, <code>webhook-timestamp</code> and <code>webhook-signature</code> (Standard Webhooks).</p>
          <CopyBlock text={n.secret} label="webhook signing secret" id="secret-value" />
          <p className="help">A receiver in Node checks it with the <code>standardwebhooks</code> package:</p>
          <CopyBlock label="verification snippet" text={`import { Webhook } from 'standardwebhooks';\nconst payload = new Webhook(process.env.TIDEWATCH_WEBHOOK_SECRET).verify(rawBody, headers); // throws when forged`} />
        </div>
      ) : null}
      <div className="button-row"><button type="button" className="button-primary" onClick={onDone}>Done</button></div>
    </>
  );
}
