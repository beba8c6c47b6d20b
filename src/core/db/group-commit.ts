import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';

type Db = Kysely<Database>;
type Work<T> = (trx: Db) => Promise<T>;

interface Job {
  work: Work<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

const MAX_BATCH = 256;

/**
 * Runs write transactions on SQLite so that those arriving together share one COMMIT (group commit). SQLite has a
 * single writer and a commit costs more than the statements before it; with 50 clients posting at once this is most of
 * the ingest cost. Each piece of work runs inside its own SAVEPOINT, so one failing rolls back only itself, and every
 * caller hears its result only after the shared COMMIT succeeded — nothing is answered before it is durable.
 */
export function groupCommitter(db: Db, afterCommit: () => void = () => {}): <T>(work: Work<T>) => Promise<T> {
  const queue: Job[] = [];
  let scheduled = false;

  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      void flush(queue.splice(0, MAX_BATCH));
      if (queue.length > 0) schedule();
    });
  };

  const flush = (jobs: Job[]) =>
    // One connection held for the whole batch, so no other query runs inside it (and sees uncommitted rows).
    db.connection().execute(async (conn) => {
      const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
      const alone = jobs.length === 1;
      try {
        // IMMEDIATE takes the write lock up front, waiting through busy_timeout; a deferred transaction that reads
        // first and then writes fails at once with SQLITE_BUSY if the checkpointer moved the log meanwhile.
        await sql`begin immediate`.execute(conn);
        for (const job of jobs) {
          if (!alone) await sql`savepoint tw_job`.execute(conn);
          try {
            outcomes.push({ ok: true, value: await job.work(conn) });
          } catch (error) {
            if (alone) throw error;
            await sql`rollback to savepoint tw_job`.execute(conn);
            outcomes.push({ ok: false, error });
          }
          if (!alone) await sql`release savepoint tw_job`.execute(conn);
        }
        await sql`commit`.execute(conn);
        afterCommit();
      } catch (error) {
        // The transaction itself failed (begin, commit, or a statement that aborted it): nobody's work is stored.
        await sql`rollback`.execute(conn).catch(() => {});
        for (const job of jobs) job.reject(error);
        return;
      }
      jobs.forEach((job, i) => {
        const o = outcomes[i]!;
        if (o.ok) job.resolve(o.value);
        else job.reject(o.error);
      });
    }).catch((error) => { for (const job of jobs) job.reject(error); });

  return <T>(work: Work<T>) => new Promise<T>((resolve, reject) => {
    queue.push({ work: work as Work<unknown>, resolve: resolve as (v: unknown) => void, reject });
    schedule();
  });
}
