import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, parseDuration, parseSchedule } from '../core/config.js';
import { outcomeOf, retryAfterMs, RETRY_AFTER_CAP_MS, type AttemptResult } from './delivery-schedule.js';

const now = Date.parse('2026-01-01T00:00:00.000Z');
const schedule = [0, 10_000, 60_000, 300_000, 1_800_000];
const result = (statusCode: number | null, extra: Partial<AttemptResult> = {}): AttemptResult => ({
  ok: statusCode !== null && statusCode >= 200 && statusCode < 300, statusCode, error: null, latencyMs: 5, excerpt: null, ...extra,
});
const at = (ms: number) => new Date(now + ms).toISOString();

test('a 2xx succeeds; a failure waits for the next delay of the schedule; the last attempt fails the delivery', () => {
  assert.deepEqual(outcomeOf(result(204), 1, schedule, now), { status: 'succeeded', nextAttemptAt: null, disable: false });
  assert.deepEqual(outcomeOf(result(500), 1, schedule, now), { status: 'pending', nextAttemptAt: at(10_000), disable: false });
  assert.deepEqual(outcomeOf(result(null, { error: 'ECONNREFUSED' }), 2, schedule, now).nextAttemptAt, at(60_000));
  assert.deepEqual(outcomeOf(result(302), 4, schedule, now).nextAttemptAt, at(1_800_000), 'a redirect is a failure');
  assert.deepEqual(outcomeOf(result(500), 5, schedule, now), { status: 'failed', nextAttemptAt: null, disable: false });
  assert.deepEqual(outcomeOf(result(null, { permanent: true }), 1, schedule, now).status, 'failed');
});

test('410 fails at once and disables the notification', () => {
  assert.deepEqual(outcomeOf(result(410), 1, schedule, now), { status: 'failed', nextAttemptAt: null, disable: true });
});

test('429 and 503 take Retry-After instead of the schedule, earlier or later, capped at an hour; other codes ignore it', () => {
  assert.equal(outcomeOf(result(429, { retryAfter: '2' }), 1, schedule, now).nextAttemptAt, at(2000));
  assert.equal(outcomeOf(result(503, { retryAfter: '120' }), 1, schedule, now).nextAttemptAt, at(120_000));
  assert.equal(outcomeOf(result(503, { retryAfter: '86400' }), 1, schedule, now).nextAttemptAt, at(RETRY_AFTER_CAP_MS));
  assert.equal(outcomeOf(result(503, { retryAfter: 'soon' }), 1, schedule, now).nextAttemptAt, at(10_000));
  assert.equal(outcomeOf(result(500, { retryAfter: '2' }), 1, schedule, now).nextAttemptAt, at(10_000));
  assert.equal(outcomeOf(result(429, { retryAfter: '2' }), 5, schedule, now).status, 'failed', 'no attempts beyond the schedule');
});

test('Retry-After: delay-seconds or an HTTP-date; anything else is ignored', () => {
  assert.equal(retryAfterMs('0', now), 0);
  assert.equal(retryAfterMs(' 30 ', now), 30_000);
  assert.equal(retryAfterMs(new Date(now + 90_000).toUTCString(), now), 90_000);
  assert.equal(retryAfterMs(new Date(now - 90_000).toUTCString(), now), 0, 'a date in the past: at once');
  for (const bad of [undefined, '', '-5', '1.5', 'tomorrow', '2026-01-01T00:01:00Z']) assert.equal(retryAfterMs(bad, now), undefined, String(bad));
});

test('TIDEWATCH_DELIVERY_SCHEDULE and TIDEWATCH_DELIVERY_TIMEOUT: durations with units, defaults as the spec says', () => {
  assert.deepEqual(parseSchedule('0,10s,1m,5m,30m'), schedule);
  assert.deepEqual(parseSchedule('0, 50ms, 1.5s, 1h'), [0, 50, 1500, 3_600_000]);
  assert.equal(parseDuration('10s', 'X'), 10_000);
  assert.throws(() => parseSchedule('10s,1m'), /must start with 0/);
  assert.throws(() => parseSchedule('0,10'), /"10" is not a duration; write 0 or a number with a unit/);
  assert.throws(() => parseSchedule('0,,1m'), /not a duration/);
  assert.throws(() => parseSchedule('0,2d'), /not a duration/);
  const config = loadConfig({}, {});
  assert.deepEqual([config.deliverySchedule, config.deliveryTimeoutMs, config.outboundAllow, config.smtpUrl], [schedule, 10_000, [], null]);
  const set = loadConfig({}, { TIDEWATCH_DELIVERY_SCHEDULE: '0,100ms', TIDEWATCH_DELIVERY_TIMEOUT: '500ms', TIDEWATCH_OUTBOUND_ALLOW: '127.0.0.1/32', TIDEWATCH_SMTP_URL: 'smtp://mail:25' });
  assert.deepEqual([set.deliverySchedule, set.deliveryTimeoutMs, set.outboundAllow.map((c) => c.text), set.smtpUrl], [[0, 100], 500, ['127.0.0.1/32'], 'smtp://mail:25']);
  assert.throws(() => loadConfig({}, { TIDEWATCH_DELIVERY_TIMEOUT: '0' }), /longer than 0/);
  assert.throws(() => loadConfig({}, { TIDEWATCH_SMTP_URL: 'mail.example.com' }), /smtp:\/\/ or smtps:\/\//);
});

test('the worker\'s lease and limits: defaults, settings, and what is refused', () => {
  const config = loadConfig({}, {});
  assert.deepEqual([config.deliveryLeaseMs, config.deliveryConcurrency, config.deliveryPerReceiver], [40_000, 64, 4]);
  const set = loadConfig({}, {
    TIDEWATCH_DELIVERY_TIMEOUT: '2s', TIDEWATCH_DELIVERY_LEASE: '1m', TIDEWATCH_DELIVERY_CONCURRENCY: '200', TIDEWATCH_DELIVERY_PER_RECEIVER: '16',
  });
  assert.deepEqual([set.deliveryLeaseMs, set.deliveryConcurrency, set.deliveryPerReceiver], [60_000, 200, 16]);
  assert.equal(loadConfig({}, { TIDEWATCH_DELIVERY_TIMEOUT: '2s' }).deliveryLeaseMs, 32_000, 'the default lease follows the timeout');
  assert.throws(() => loadConfig({}, { TIDEWATCH_DELIVERY_LEASE: '12s' }), /TIDEWATCH_DELIVERY_LEASE must be at least TIDEWATCH_DELIVERY_TIMEOUT \+ 5s \(15000 ms\)/);
  assert.throws(() => loadConfig({}, { TIDEWATCH_DELIVERY_LEASE: 'soon' }), /TIDEWATCH_DELIVERY_LEASE/);
  for (const bad of ['0', '-1', '2.5', 'many', '5000']) {
    assert.throws(() => loadConfig({}, { TIDEWATCH_DELIVERY_CONCURRENCY: bad }), /TIDEWATCH_DELIVERY_CONCURRENCY must be a whole number from 1 to 1024/);
  }
  assert.throws(() => loadConfig({}, { TIDEWATCH_DELIVERY_CONCURRENCY: '8', TIDEWATCH_DELIVERY_PER_RECEIVER: '9' }), /TIDEWATCH_DELIVERY_PER_RECEIVER must be a whole number from 1 to 8/);
});
