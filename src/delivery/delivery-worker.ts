/*
 * The delivery worker: one per process, started by `serve` (notifications.md "Delivery guarantees").
 *
 * - Claims due deliveries in batches under a lease (claim-deliveries.ts) on a short poll, and at once when this
 *   process or another sharing the database commits new deliveries (delivery-wakeup.ts). A claim left by a dead
 *   process is taken over after its lease.
 * - Sends concurrently: at most `maxInFlight` sends at once, at most `maxPerTarget` to one receiver (origin). Nothing
 *   ever awaits one target while others are due: a hanging receiver holds only its own slots, and deliveries for a
 *   target at its limit are not claimed (or are given back) so they cannot crowd out the rest.
 * - Each attempt ends in one short transaction (complete-delivery.ts); on SQLite it joins the group commit like any
 *   other write, and ingest never waits for a send.
 * - stop(): no more claims, claimed-but-unsent deliveries given back, in-flight attempts finished and recorded.
 *
 * At least once: a process killed mid-send leaves the claim to expire and the delivery is sent again, with the same
 * webhook-id. While both processes live there is no double send: a send never outlasts the timeout, the lease is the
 * timeout plus 30 s, and a send that waited for its target lengthens its lease first.
 */
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Storage } from '../core/db/database.js';
import { keyIdOf } from '../core/secret-box.js';
import {
  claimableExists, claimDueDeliveries, extendClaim, loadDeliveryWork, releaseClaims, releaseOrphanedClaims, takeOverExpiredClaims,
  type Claim, type DeliveryWork,
} from './claim-deliveries.js';
import { completeDelivery, completeSucceededDeliveries, skipClaimedDelivery } from './complete-delivery.js';
import { CompletionBatch } from './completion-batch.js';
import { outcomeOf } from './delivery-schedule.js';
import { DELIVERIES_SIGNAL, onDeliveriesCommitted } from './delivery-wakeup.js';
import { defaultFrom, smtpSender, type EmailSender } from './email-sender.js';
import { guardedDispatcher, type AllowList, type Resolver } from './outbound-guard.js';
import { sendDelivery, targetOf, type SendContext } from './send-delivery.js';

export interface DeliveryWorkerOptions {
  storage: Storage;
  publicUrl: string;
  /** Delays before each attempt, ms (config.ts parseSchedule). */
  schedule: readonly number[];
  timeoutMs: number;
  allow: AllowList;
  secretKey: Buffer;
  smtpUrl?: string | null;
  smtpFrom?: string | null;
  logger?: Logger | false;
  /** How often to look for due deliveries when nothing wakes the worker. */
  pollMs?: number;
  maxInFlight?: number;
  maxPerTarget?: number;
  /** How long a claim holds; default 30 s plus the timeout. */
  leaseMs?: number;
  /** Tests: resolve host names without DNS. */
  resolve?: Resolver;
}

interface Queued {
  claim: Claim;
  work: DeliveryWork;
  target: string;
}

const CLAIM_BATCH = 100;
/** Expired leases are rare; looking for them once a second is enough. */
const TAKEOVER_EVERY_MS = 1000;
/** A send starts only with this much lease left (beyond its timeout); otherwise the lease is lengthened first. */
const LEASE_MARGIN_MS = 5000;
/** Receivers commonly close idle connections after 5 s (Node's default); ours go first. */
const KEEP_ALIVE_MS = 4000;

export class DeliveryWorker {
  readonly owner = `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly pollMs: number;
  private readonly maxInFlight: number;
  private readonly maxPerTarget: number;
  private readonly leaseMs: number;
  private readonly send: SendContext;
  private readonly mailer: EmailSender | null;
  private readonly log: Logger | null;
  private stopping = false;
  private loopDone: Promise<void> | null = null;
  private stopped: Promise<void> | null = null;
  private unsubscribe: (() => void) | null = null;
  private stopListening: (() => Promise<void>) | null = null;
  private wakeRequested = false;
  private endIdle: (() => void) | null = null;
  private backlog = false;
  private lastTakeover = 0;
  private readonly sending = new Set<Promise<void>>();
  /** Claimed deliveries waiting for a free slot of their target. */
  private readonly waiting = new Map<string, Queued[]>();
  private readonly active = new Map<string, number>();
  /** Notifications seen per target, so a target at its limit can be left out of claims. */
  private readonly notificationsOf = new Map<string, Set<string>>();

  /** Successful attempts finishing together are recorded in one transaction (completion-batch.ts). */
  private readonly succeeded = new CompletionBatch((items) => this.options.storage.transact(
    (trx) => completeSucceededDeliveries(trx, this.options.storage.engine, this.owner, items, new Date().toISOString()),
  ));

  constructor(private readonly options: DeliveryWorkerOptions) {
    this.pollMs = options.pollMs ?? 100;
    this.maxInFlight = options.maxInFlight ?? 64;
    this.maxPerTarget = options.maxPerTarget ?? 4;
    this.leaseMs = options.leaseMs ?? 30_000 + options.timeoutMs;
    this.log = options.logger || null;
    this.mailer = options.smtpUrl ? smtpSender(options.smtpUrl, options.smtpFrom ?? defaultFrom(options.publicUrl), options.timeoutMs) : null;
    this.send = {
      publicUrl: options.publicUrl,
      allow: options.allow,
      timeoutMs: options.timeoutMs,
      keys: new Map([[keyIdOf(options.secretKey), options.secretKey]]),
      mailer: this.mailer,
      ...(options.resolve ? { resolve: options.resolve } : {}),
      // A TCP connection per delivery held fan-out to ~700/s with a third of the CPU idle; kept ones are reused.
      dispatcher: guardedDispatcher(options.allow, {
        ...(options.resolve ? { resolve: options.resolve } : {}),
        connectTimeoutMs: Math.min(5000, options.timeoutMs),
        keepAliveMs: KEEP_ALIVE_MS,
      }),
    };
  }

  start(): this {
    if (this.loopDone) return this;
    this.unsubscribe = onDeliveriesCommitted(() => this.wake());
    this.stopListening = this.options.storage.signals?.listen(DELIVERIES_SIGNAL, () => this.wake()) ?? null;
    this.loopDone = this.loop();
    return this;
  }

  /** Look for due deliveries now rather than at the next poll. */
  wake(): void {
    this.wakeRequested = true;
    this.endIdle?.();
  }

  /** Stops claiming, gives back what was claimed but not sent, and waits for the attempts in flight to be recorded. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.stopping = true;
      this.unsubscribe?.();
      await this.stopListening?.();
      this.endIdle?.();
      await this.loopDone;
      const unsent = [...this.waiting.values()].flat().map((q) => q.claim.id);
      this.waiting.clear();
      if (unsent.length > 0) {
        await this.options.storage.transact((trx) => releaseClaims(trx, this.owner, unsent))
          .catch((error: unknown) => this.log?.warn({ err: error }, 'delivery worker: could not give back unsent claims'));
      }
      await Promise.allSettled([...this.sending]);
      this.mailer?.close();
      await this.send.dispatcher?.destroy().catch(() => {});
    })();
    return this.stopped;
  }

  private async loop(): Promise<void> {
    const { storage } = this.options;
    if (!storage.engine.multiProcess) {
      await storage.transact((trx) => releaseOrphanedClaims(trx, this.owner))
        .catch((error: unknown) => this.log?.warn({ err: error }, 'delivery worker: could not release orphaned claims'));
    }
    while (!this.stopping) {
      this.wakeRequested = false;
      let more = false;
      try {
        more = await this.claim();
      } catch (error) {
        this.log?.warn({ err: error }, 'delivery worker: claiming failed; trying again');
      }
      if (this.stopping) break;
      if (more || this.wakeRequested) continue;
      await this.idle();
    }
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(), this.pollMs);
      const done = () => {
        clearTimeout(timer);
        this.endIdle = null;
        resolve();
      };
      this.endIdle = done;
    });
  }

  /** One claim; true when it was full, so more may be due at once. */
  private async claim(): Promise<boolean> {
    const { storage } = this.options;
    const held = this.sending.size + this.waitingCount();
    const room = Math.min(CLAIM_BATCH, 2 * this.maxInFlight - held);
    if (room <= 0) {
      this.backlog = true;
      return false;
    }
    const now = Date.now();
    const options = {
      owner: this.owner,
      limit: room,
      now: new Date(now).toISOString(),
      leaseUntil: new Date(now + this.leaseMs).toISOString(),
      excludeNotifications: this.saturatedNotifications(),
    };
    const takeOver = now - this.lastTakeover >= TAKEOVER_EVERY_MS;
    if (takeOver) this.lastTakeover = now;
    if (!(await claimableExists(storage.db, options, takeOver))) {
      this.backlog = false;
      return false;
    }
    const claims = await storage.transact(async (trx) => {
      const taken = takeOver ? await takeOverExpiredClaims(trx, storage.engine, options) : [];
      const left = room - taken.length;
      return left > 0 ? [...taken, ...(await claimDueDeliveries(trx, storage.engine, { ...options, limit: left }))] : taken;
    });
    this.backlog = claims.length === room;
    if (claims.length === 0) return false;
    await this.accept(claims);
    return this.backlog;
  }

  private async accept(claims: Claim[]): Promise<void> {
    const { storage } = this.options;
    const work = new Map((await loadDeliveryWork(storage.db, claims.map((c) => c.id))).map((w) => [w.id, w]));
    const skip: string[] = [];
    const giveBack: string[] = [];
    for (const claim of claims) {
      const w = work.get(claim.id);
      if (w === undefined) continue; // not readable (deliveries are never deleted; a guard, not a case)
      // Fanned out before the notification was disabled, in a transaction that committed after: not sent.
      if (w.enabled === 0) {
        skip.push(claim.id);
        continue;
      }
      const target = targetOf(w);
      const seen = this.notificationsOf.get(target) ?? new Set<string>();
      seen.add(w.notification_id);
      this.notificationsOf.set(target, seen);
      const queue = this.waiting.get(target) ?? [];
      // What the target's free slots take at once, plus a short queue behind them; the rest goes back to the table.
      const free = Math.max(0, this.maxPerTarget - (this.active.get(target) ?? 0));
      if (queue.length >= free + 2 * this.maxPerTarget) {
        giveBack.push(claim.id);
        continue;
      }
      queue.push({ claim, work: w, target });
      this.waiting.set(target, queue);
    }
    const at = new Date().toISOString();
    if (skip.length > 0 || giveBack.length > 0) {
      await storage.transact(async (trx) => {
        for (const id of skip) await skipClaimedDelivery(trx, this.owner, id, at);
        await releaseClaims(trx, this.owner, giveBack);
      });
    }
    this.pump();
  }

  /** Starts every waiting send that a free slot allows. */
  private pump(): void {
    if (this.stopping) return;
    for (const [target, queue] of this.waiting) {
      while (queue.length > 0 && this.sending.size < this.maxInFlight && (this.active.get(target) ?? 0) < this.maxPerTarget) {
        this.launch(queue.shift()!);
      }
      if (queue.length === 0) this.waiting.delete(target);
    }
  }

  private launch(item: Queued): void {
    this.active.set(item.target, (this.active.get(item.target) ?? 0) + 1);
    const done = this.attempt(item)
      .catch((error: unknown) => this.log?.error({ err: error, delivery: item.claim.id }, 'delivery worker: attempt not recorded; it is retried after its lease'))
      .finally(() => {
        this.sending.delete(done);
        const left = (this.active.get(item.target) ?? 1) - 1;
        if (left > 0) this.active.set(item.target, left);
        else this.active.delete(item.target);
        if (left === 0 && !this.waiting.has(item.target)) this.notificationsOf.delete(item.target);
        this.pump();
        if (this.backlog) this.wake();
      });
    this.sending.add(done);
  }

  private async attempt({ claim, work }: Queued): Promise<void> {
    const { storage, schedule } = this.options;
    const now = Date.now();
    if (Date.parse(claim.lease_until) - now < this.options.timeoutMs + LEASE_MARGIN_MS) {
      const until = new Date(now + this.leaseMs).toISOString();
      if (!(await storage.transact((trx) => extendClaim(trx, this.owner, claim.id, until)))) return;
      claim.lease_until = until;
    }
    const startedAt = new Date().toISOString();
    const result = await sendDelivery(work, this.send);
    const attempts = claim.attempts + 1;
    const outcome = outcomeOf(result, attempts, schedule, Date.now());
    const attempt = { at: startedAt, statusCode: result.statusCode, error: result.error, latencyMs: result.latencyMs, excerpt: result.excerpt };
    const recorded = outcome.status === 'succeeded'
      ? await this.succeeded.add({ deliveryId: claim.id, notificationId: work.notification_id, attempt })
      : await storage.transact((trx) => completeDelivery(
        trx, { owner: this.owner, deliveryId: claim.id, notificationId: work.notification_id, attempts }, attempt, outcome,
      ));
    if (!recorded) this.log?.warn({ delivery: claim.id }, 'delivery worker: the claim was taken over before the attempt was recorded');
  }

  private waitingCount(): number {
    let n = 0;
    for (const queue of this.waiting.values()) n += queue.length;
    return n;
  }

  /**
   * Notifications whose target has work enough for its slots (in flight plus waiting), left out of the next claim so
   * the claim brings deliveries that can be sent (at most 500 of them).
   */
  private saturatedNotifications(): string[] {
    const out: string[] = [];
    for (const [target, seen] of this.notificationsOf) {
      if ((this.active.get(target) ?? 0) + (this.waiting.get(target)?.length ?? 0) < this.maxPerTarget) continue;
      for (const id of seen) if (out.length < 500) out.push(id);
    }
    return out;
  }
}
