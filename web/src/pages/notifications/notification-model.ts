/*
 * The notification API's vocabulary (notifications.md): events with Quay's names and what each one's eventConfig
 * takes, methods and their config, the notification and delivery-log answers.
 */
export const events = [
  { id: 'repo_push', label: 'Push to repository' },
  { id: 'build_queued', label: 'Dockerfile build queued' },
  { id: 'build_start', label: 'Dockerfile build started' },
  { id: 'build_success', label: 'Dockerfile build successfully completed' },
  { id: 'build_failure', label: 'Dockerfile build failed' },
  { id: 'build_cancelled', label: 'Dockerfile build cancelled' },
  { id: 'vulnerability_found', label: 'Package vulnerability found' },
  { id: 'image_deployed', label: 'Image deployed to an environment' },
] as const;
export type EventId = (typeof events)[number]['id'];

export const methods = [
  { id: 'webhook', label: 'Webhook POST' },
  { id: 'slack', label: 'Slack notification' },
  { id: 'msteams', label: 'Microsoft Teams notification' },
  { id: 'email', label: 'E-mail' },
] as const;
export type MethodId = (typeof methods)[number]['id'];

export const eventLabel = (id: string): string => events.find((e) => e.id === id)?.label ?? id;
export const methodLabel = (id: string): string => methods.find((m) => m.id === id)?.label ?? id;

/** eventConfig `level` and `min_level`: 0 = Critical … 5 = Unknown; fires at that index or a more severe one. */
export const levels = ['Critical', 'High', 'Medium', 'Low', 'Negligible', 'Unknown'] as const;

export interface LastDelivery { id: string; status: string; attempts: number; created_at: string; completed_at: string | null; next_attempt_at: string | null }

export interface NotificationView {
  uuid: string;
  title: string | null;
  event: string;
  method: string;
  config: Record<string, unknown>;
  event_config: Record<string, unknown>;
  number_of_failures: number;
  enabled: boolean;
  created_at: string;
  last_delivery: LastDelivery | null;
}

export interface Attempt { at: string; status_code: number | null; error: string | null; latency_ms: number; response: string | null }
export interface Delivery {
  id: string;
  event: { uuid: string; kind: string; created_at: string; test: boolean };
  status: string;
  created_at: string;
  completed_at: string | null;
  next_attempt_at: string | null;
  attempts: Attempt[];
}
export interface DeliveryLog { deliveries: Delivery[]; limit: number; offset: number; total: number; next_offset: number | null }

/** Where a notification sends to, in one line: the URL (as masked by the API) or the address. */
export function targetOf(n: Pick<NotificationView, 'config'>): string {
  const c = n.config;
  return typeof c.url === 'string' ? c.url : typeof c.email === 'string' ? c.email : '–';
}

/** What the eventConfig says, in words: "tags v*, latest", "Critical or High, in production, fixable only". */
export function filterSummary(event: string, c: Record<string, unknown>): string {
  const parts: string[] = [];
  if (Array.isArray(c.tags)) parts.push(`tags ${c.tags.join(', ')}`);
  if (typeof c['ref-regex'] === 'string') parts.push(`ref ${c['ref-regex']}`);
  if (typeof c.level === 'number') parts.push(`${levels.slice(0, c.level + 1).join(', ')}`);
  if (typeof c.min_level === 'number') parts.push(`with open ${levels[c.min_level]} or worse`);
  if (Array.isArray(c.environments)) parts.push(`in ${c.environments.join(', ')}`);
  if (c.fixable_only === true) parts.push('fixable only');
  if (event === 'vulnerability_found' && c.skip_inherited === false) parts.push('inherited too');
  return parts.join('; ') || 'every event';
}
