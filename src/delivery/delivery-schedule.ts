/*
 * What an attempt's result means for its delivery (notifications.md "Retries"). Pure: the worker passes the clock.
 *
 * Decisions:
 * - Success is any 2xx within the timeout; a 3xx is a failure (redirects are never followed).
 * - 410 Gone fails the delivery at once and disables the notification.
 * - On 429 and 503 a valid Retry-After (seconds or an HTTP date) sets the next attempt instead of the schedule, earlier
 *   or later alike — the receiver knows when it can take the request — but never more than an hour ahead, so a
 *   receiver cannot park a delivery for days. It does not add attempts: the schedule's length is the limit.
 * - A failure that cannot change by trying again (the event cannot be rendered) fails the delivery at once.
 */
import type { DeliveryOutcome } from './complete-delivery.js';

export const RETRY_AFTER_CAP_MS = 60 * 60 * 1000;

export interface AttemptResult {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  latencyMs: number;
  excerpt: string | null;
  /** The Retry-After header of the answer, if any. */
  retryAfter?: string | undefined;
  /** True when another attempt cannot do better. */
  permanent?: boolean;
}

/**
 * `attemptsMade` counts this attempt too; `schedule[i]` is the delay before attempt i+1, so a delivery has
 * schedule.length attempts in all.
 */
export function outcomeOf(result: AttemptResult, attemptsMade: number, schedule: readonly number[], now: number): DeliveryOutcome {
  if (result.ok) return { status: 'succeeded', nextAttemptAt: null, disable: false };
  if (result.statusCode === 410) return { status: 'failed', nextAttemptAt: null, disable: true };
  const planned = schedule[attemptsMade];
  if (result.permanent || planned === undefined) return { status: 'failed', nextAttemptAt: null, disable: false };
  let delay = planned;
  if (result.statusCode === 429 || result.statusCode === 503) {
    const asked = retryAfterMs(result.retryAfter, now);
    if (asked !== undefined) delay = Math.min(asked, RETRY_AFTER_CAP_MS);
  }
  return { status: 'pending', nextAttemptAt: new Date(now + delay).toISOString(), disable: false };
}

/** RFC 9110 §10.2.3: delay-seconds or an HTTP-date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP-date names its weekday and zone; Date.parse also takes bare numbers and other shapes, which are refused.
  if (!/^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
