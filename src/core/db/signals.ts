/*
 * Signals between processes sharing a PostgreSQL database (LISTEN/NOTIFY, as graphile-worker and pg-boss wake their
 * workers): a transaction raises a signal, and every other process listening hears it once that transaction commits,
 * never if it rolls back. A process does not hear its own (it wakes itself in-process). SQLite serves one process
 * and has none: Storage.signals is absent there.
 *
 * Signals only make things sooner; whoever listens still polls, so a dropped connection loses nothing. The listening
 * connection is reconnected after a second, and every listener is called once then, for what it may have missed.
 */
import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

export interface Signals {
  /** Raises `channel` in the caller's transaction: the other processes hear it when the transaction commits. */
  raise(trx: Kysely<any>, channel: string): Promise<void>;
  /** Calls `onSignal` each time another process raises `channel`; returns what stops listening. */
  listen(channel: string, onSignal: () => void): () => Promise<void>;
  /** Settles once every channel listened to so far is heard (when the server can be reached). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

const RECONNECT_MS = 1000;
const CONNECT_TIMEOUT_MS = 5000;
/** PostgreSQL truncates identifiers (and refuses channel names) beyond 63 bytes. */
const MAX_CHANNEL_BYTES = 63;

/** The database-wide channel name of `channel` for one schema: tests and tenants in other schemas do not hear it. */
export function channelName(schema: string | undefined, channel: string): string {
  const name = `tidewatch.${schema ?? 'public'}.${channel}`;
  if (Buffer.byteLength(name) <= MAX_CHANNEL_BYTES) return name;
  return `tidewatch.${createHash('sha256').update(name).digest('hex').slice(0, 40)}`;
}

export function postgresSignals(connectionString: string, schema: string | undefined, onError: (error: Error) => void = () => {}): Signals {
  /** Carried by every signal this process raises, so its own listener can leave them out. */
  const self = randomBytes(12).toString('hex');
  const handlers = new Map<string, Set<() => void>>();
  /** The listening connection, and the channels it listens on (each with its LISTEN statement). */
  let client: pg.Client | null = null;
  let listening = new Map<string, Promise<unknown>>();
  let connecting: Promise<void> | null = null;
  let retry: NodeJS.Timeout | null = null;
  /** The connection was lost (or could not be made) while someone listened: signals may have gone unheard. */
  let missed = false;
  let closed = false;

  const quoted = (name: string) => `"${name.replace(/"/g, '""')}"`;

  /** LISTENs on every channel someone listens to and the connection does not yet. */
  const listenAll = async (c: pg.Client) => {
    for (const name of handlers.keys()) if (!listening.has(name)) listening.set(name, c.query(`LISTEN ${quoted(name)}`));
    await Promise.all(listening.values());
  };

  const scheduleReconnect = () => {
    if (closed || handlers.size === 0 || retry) return;
    retry = setTimeout(() => {
      retry = null;
      void connect();
    }, RECONNECT_MS);
    retry.unref();
  };

  const connect = (): Promise<void> => {
    connecting ??= (async () => {
      const c = new pg.Client({
        connectionString, application_name: 'tidewatch-signals', connectionTimeoutMillis: CONNECT_TIMEOUT_MS, keepAlive: true,
      });
      c.on('notification', (message) => {
        if (message.payload === self) return;
        for (const handler of handlers.get(message.channel) ?? []) handler();
      });
      const lost = (error?: Error) => {
        if (client !== c) return;
        client = null;
        missed = true;
        if (error) onError(error);
        c.end().catch(() => {});
        scheduleReconnect();
      };
      c.on('error', lost);
      c.on('end', () => lost());
      try {
        await c.connect();
        listening = new Map();
        client = c;
        await listenAll(c);
      } catch (error) {
        if (client === c) client = null;
        missed = true;
        onError(error as Error);
        c.end().catch(() => {});
        scheduleReconnect();
        return;
      }
      if (closed || handlers.size === 0) {
        client = null;
        await c.end().catch(() => {});
        return;
      }
      // While there was no connection, signals went unheard: every listener is told once.
      if (missed) for (const set of handlers.values()) for (const handler of set) handler();
      missed = false;
    })().finally(() => { connecting = null; });
    return connecting;
  };

  // A connection still being made is not waited for: it ends itself once up, seeing nobody listens.
  const stopClient = async () => {
    if (retry) clearTimeout(retry);
    retry = null;
    const c = client;
    client = null;
    missed = false;
    await c?.end().catch(() => {});
  };

  return {
    async raise(trx, channel) {
      await sql`select pg_notify(${channelName(schema, channel)}, ${self})`.execute(trx);
    },
    listen(channel, onSignal) {
      const name = channelName(schema, channel);
      const set = handlers.get(name) ?? new Set();
      set.add(onSignal);
      handlers.set(name, set);
      // A connection being made listens on every channel known by then (listenAll runs once it is up).
      if (client) listenAll(client).catch((error: Error) => onError(error));
      else void connect();
      return async () => {
        set.delete(onSignal);
        if (set.size > 0) return;
        handlers.delete(name);
        if (handlers.size === 0) {
          await stopClient();
          return;
        }
        if (client && listening.delete(name)) await client.query(`UNLISTEN ${quoted(name)}`).catch(() => {});
      };
    },
    async ready() {
      if (!client) await connect();
      if (client) await listenAll(client).catch(() => {});
    },
    async close() {
      closed = true;
      handlers.clear();
      await stopClient();
    },
  };
}
