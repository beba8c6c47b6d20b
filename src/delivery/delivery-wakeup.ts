/*
 * The in-process wake-up of the delivery worker: deliveries written in a transaction become claimable when it commits,
 * so the worker is woken then rather than at its next poll. A transaction that wrote deliveries is marked (by its
 * Kysely handle); transact(), wrapped here, looks for the mark after the work and calls the listeners once the commit
 * has resolved. Other processes sharing a PostgreSQL database are signalled by the same transaction (LISTEN/NOTIFY,
 * core/db/signals.ts), so they hear of it at its commit too rather than at their next poll.
 */
import type { Storage } from '../core/db/database.js';

/** The signal (core/db/signals.ts) a transaction that wrote deliveries raises for the other processes. */
export const DELIVERIES_SIGNAL = 'deliveries';

const marked = new WeakSet<object>();
const listeners = new Set<() => void>();


/** Called by the code that inserts deliveries, inside the caller's transaction. */
export function markDeliveriesWritten(trx: object): void {
  marked.add(trx);
}

/** Listens for commits that wrote deliveries; returns the function that stops listening. */
export function onDeliveriesCommitted(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function notify(): void {
  for (const listener of listeners) listener();
}

/**
 * The same storage whose transact() wakes the listeners after a commit that wrote deliveries. On SQLite, transactions
 * committed together share one handle (group-commit.ts); whichever sees the mark first wakes the worker, once.
 */
export function withDeliveryWakeup(storage: Storage): Storage {
  if ((storage as { wakesDeliveries?: true }).wakesDeliveries) return storage;
  const transact: Storage['transact'] = async (work) => {
    let wrote = false;
    const value = await storage.transact(async (trx) => {
      const result = await work(trx);
      if (marked.delete(trx)) {
        wrote = true;
        await storage.signals?.raise(trx, DELIVERIES_SIGNAL);
      }
      return result;
    });
    if (wrote) notify();
    return value;
  };
  return { ...storage, transact, wakesDeliveries: true } as Storage;
}
