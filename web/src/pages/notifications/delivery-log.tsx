/*
 * The delivery log of one notification (notifications.md "API"): newest first, each delivery with its status and
 * every attempt (time, HTTP status or error, latency, the start of the answer), and Redeliver. While a delivery is
 * still pending or in flight the log refreshes itself every second.
 */
import { useEffect, useState } from 'react';
import { post } from '../../api/client';
import { apiPaths } from '../../api/paths';
import { useApi } from '../../api/use-api';
import { ErrorMessage, Loaded, Notice } from '../../components/feedback';
import { Pager } from '../../components/pager';
import { Time } from '../../components/time';
import { eventLabel, type Delivery, type DeliveryLog as Log, type NotificationView } from './notification-model';

export function DeliveryLog({ repository, notification, mayRedeliver, refreshKey, onSettled }: {
  repository: string; notification: NotificationView; mayRedeliver: boolean; refreshKey: number;
  /** Called when the last delivery in flight has finished (the list's "last delivery" and failures change then). */
  onSettled: () => void;
}) {
  const [paging, setPaging] = useState({ offset: 0, limit: 20 });
  const log = useApi<Log>(apiPaths.deliveries(repository, notification.uuid, paging));
  const [actionError, setActionError] = useState<unknown>(undefined);
  const [notice, setNotice] = useState<string | null>(null);
  const { reload } = log;
  const busy = log.data?.deliveries.some((d) => d.status === 'pending' || d.status === 'delivering') ?? false;

  useEffect(() => { reload(); }, [refreshKey, reload]);
  // What the log settled on: when it changes (a delivery finished, or a new one was already finished by the time the
  // log first saw it) the list's "last delivery", failures and enabled state may have changed too.
  const settled = busy || !log.data ? null : log.data.deliveries.map((d) => `${d.id}:${d.status}:${d.attempts.length}`).join(',');
  const [lastSettled, setLastSettled] = useState<string | null>(null);
  useEffect(() => {
    if (settled !== null && settled !== lastSettled) {
      setLastSettled(settled);
      onSettled();
    }
  }, [settled, lastSettled, onSettled]);
  useEffect(() => {
    if (!busy) return;
    const timer = setInterval(reload, 1000);
    return () => clearInterval(timer);
  }, [busy, reload]);

  const redeliver = async (d: Delivery) => {
    setActionError(undefined);
    setNotice(null);
    try {
      await post(apiPaths.redeliver(repository, notification.uuid, d.id));
      setNotice(`Delivery ${d.id.slice(0, 8)} sent again (same webhook-id).`);
      reload();
    } catch (e) {
      setActionError(e);
    }
  };

  return (
    <section aria-labelledby="log-title" className="delivery-log">
      <div className="header-row">
        <h3 id="log-title">Delivery log: {notification.title ?? eventLabel(notification.event)}</h3>
        <button type="button" className="button-small" onClick={reload}>Refresh</button>
      </div>
      {notice ? <Notice>{notice}</Notice> : null}
      <ErrorMessage error={actionError} title="Not redelivered" />
      <Loaded what="the delivery log" state={log}>
        {(l) => l.deliveries.length === 0 ? <p className="empty">Nothing delivered yet. Use Test to send the sample payload.</p> : (
          <>
            <div className="table-wrap">
              <table>
                <thead><tr><th scope="col">Created</th><th scope="col">Event</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Completed</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr></thead>
                <tbody>
                  {l.deliveries.map((d) => (
                    <DeliveryRow key={d.id} d={d} onRedeliver={mayRedeliver ? () => redeliver(d) : undefined} />
                  ))}
                </tbody>
              </table>
            </div>
            <Pager total={l.total} offset={paging.offset} limit={paging.limit} label="Deliveries" sizes={[20, 50, 100]} onChange={(offset, limit) => setPaging({ offset, limit })} />
          </>
        )}
      </Loaded>
    </section>
  );
}

function DeliveryRow({ d, onRedeliver }: { d: Delivery; onRedeliver: (() => void) | undefined }) {
  return (
    <tr data-delivery={d.id} data-status={d.status}>
      <td className="nowrap"><Time at={d.created_at} /></td>
      <td>{d.event.kind}{d.event.test ? <> <span className="badge">test</span></> : null}</td>
      <td>
        <span className={`status-${d.status}`}>{d.status}</span>
        {d.next_attempt_at ? <span className="muted"> · next attempt <Time at={d.next_attempt_at} /></span> : null}
      </td>
      <td>
        <details>
          <summary>{d.attempts.length} attempt{d.attempts.length === 1 ? '' : 's'}</summary>
          <ol className="attempts">
            {d.attempts.map((a, i) => (
              <li key={i} data-attempt={i + 1}>
                <Time at={a.at} mode="exact" /> —{' '}
                {a.status_code !== null ? <strong>HTTP {a.status_code}</strong> : <strong className="status-failed">{a.error ?? 'no answer'}</strong>}
                {a.status_code !== null && a.error && !a.error.startsWith(`HTTP ${a.status_code}`) ? <span className="muted"> ({a.error})</span> : null}
                {' '}in {a.latency_ms} ms
                {a.response ? <pre aria-label={`answer to attempt ${i + 1}`}>{a.response}</pre> : null}
              </li>
            ))}
          </ol>
          <p className="help">webhook-id <code>{d.id}</code></p>
        </details>
      </td>
      <td className="nowrap"><Time at={d.completed_at} /></td>
      <td>{onRedeliver ? <button type="button" className="button-small" onClick={onRedeliver}>Redeliver</button> : null}</td>
    </tr>
  );
}
