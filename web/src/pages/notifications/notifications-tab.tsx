/*
 * The repository's Settings tab (ui.md): its notifications — title, event, method, target, enabled, failures, last
 * delivery — with Create Notification, Test, Reset, Delete, and the delivery log of the one selected.
 */
import { useState } from 'react';
import { del, post } from '../../api/client';
import { apiPaths } from '../../api/paths';
import { useApi } from '../../api/use-api';
import { ErrorMessage, Loaded, Notice } from '../../components/feedback';
import { Time } from '../../components/time';
import { CreateNotification } from './create-notification';
import { DeliveryLog } from './delivery-log';
import { eventLabel, filterSummary, methodLabel, targetOf, type NotificationView } from './notification-model';

export function NotificationsTab({ repository }: { repository: string }) {
  const list = useApi<{ notifications: NotificationView[] }>(apiPaths.notifications(repository));
  const [creating, setCreating] = useState(false);
  const [selected, setSelected] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [refreshKey, setRefreshKey] = useState(0);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(undefined);

  const act = async (what: string, action: () => Promise<unknown>, after?: () => void) => {
    setError(undefined);
    setNotice(null);
    try {
      await action();
      setNotice(what);
      after?.();
      list.reload();
    } catch (e) {
      setError(e);
    }
  };
  const test = (n: NotificationView) => act(`Test delivery of "${n.title ?? eventLabel(n.event)}" queued: its sample payload goes through the normal pipeline.`,
    () => post(apiPaths.notification(repository, n.uuid) + '/test'), () => { setSelected(n.uuid); setRefreshKey((k) => k + 1); });
  const reset = (n: NotificationView) => act('Reset: failures back to 0 and the notification enabled again.', () => post(apiPaths.notification(repository, n.uuid)));
  const remove = (n: NotificationView) => act('Notification deleted; its waiting deliveries are skipped.', () => del(apiPaths.notification(repository, n.uuid)), () => {
    setConfirming(null);
    if (selected === n.uuid) setSelected(null);
  });

  const shown = list.data?.notifications.find((n) => n.uuid === selected);
  return (
    <section aria-labelledby="notifications-title">
      <div className="header-row">
        <h2 id="notifications-title">Notifications</h2>
        <button type="button" className="button-primary" onClick={() => setCreating(true)}>Create Notification</button>
      </div>
      {notice ? <Notice>{notice}</Notice> : null}
      <ErrorMessage error={error} />
      <Loaded what="notifications" state={list}>
        {({ notifications }) => notifications.length === 0
          ? <p className="empty">No notification yet. Create one to hear about pushes, builds, vulnerabilities or deployments of this repository.</p>
          : (
            <div className="table-wrap">
              <table className="notifications">
                <thead>
                  <tr>
                    <th scope="col">Title</th><th scope="col">Event</th><th scope="col">Method</th><th scope="col">Target</th>
                    <th scope="col">Enabled</th><th scope="col" className="num">Failures</th><th scope="col">Last delivery</th><th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {notifications.map((n) => (
                    <tr key={n.uuid} data-notification={n.uuid} className={n.uuid === selected ? "selected" : undefined}>
                      <td>{n.title ?? <span className="muted">(untitled)</span>}</td>
                      <td>{eventLabel(n.event)}<br /><span className="help">{filterSummary(n.event, n.event_config)}</span></td>
                      <td>{methodLabel(n.method)}</td>
                      <td className="wrap-anywhere mono">{targetOf(n)}</td>
                      <td>{n.enabled ? <span className="badge badge-ok">enabled</span> : <span className="badge badge-bad">disabled</span>}</td>
                      <td className="num">{n.number_of_failures}</td>
                      <td>{n.last_delivery ? <><span className={`status-${n.last_delivery.status}`}>{n.last_delivery.status}</span> <Time at={n.last_delivery.created_at} /></> : <span className="muted">never</span>}</td>
                      <td>
                        <div className="button-row">
                          <button type="button" className="button-small" onClick={() => test(n)} disabled={!n.enabled} title={n.enabled ? undefined : 'Disabled: reset it first'}>Test</button>
                          <button type="button" className="button-small" onClick={() => { setSelected(n.uuid); setRefreshKey((k) => k + 1); }} aria-pressed={n.uuid === selected}>Deliveries</button>
                          {n.number_of_failures > 0 || !n.enabled ? <button type="button" className="button-small" onClick={() => reset(n)}>Reset</button> : null}
                          {confirming === n.uuid ? (
                            <>
                              <button type="button" className="button-danger button-small" onClick={() => remove(n)}>Yes, delete</button>
                              <button type="button" className="button-small" onClick={() => setConfirming(null)}>Keep</button>
                            </>
                          ) : <button type="button" className="button-danger button-small" onClick={() => setConfirming(n.uuid)}>Delete</button>}
                        </div>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
      </Loaded>
      {shown ? <DeliveryLog key={shown.uuid} repository={repository} notification={shown} mayRedeliver={shown.enabled} refreshKey={refreshKey} onSettled={list.reload} /> : null}
      <CreateNotification repository={repository} open={creating} onClose={() => setCreating(false)} onCreated={list.reload} />
    </section>
  );
}
