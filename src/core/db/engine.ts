/*
 * What differs between SQLite and PostgreSQL, asked for as capabilities (Kysely's dialect-adapter idea): callers test a
 * flag, never an engine name.
 */
export interface EngineCapabilities {
  name: 'sqlite' | 'postgres';
  /** `SELECT … FOR UPDATE SKIP LOCKED`, so several processes can claim work from one table. */
  skipLocked: boolean;
  /** Several processes may share the database (PostgreSQL); SQLite is one process. */
  multiProcess: boolean;
  /**
   * Transaction-scoped locks on arbitrary keys (pg_advisory_xact_lock), to serialise writers of one logical key.
   * SQLite needs none: it has one writer at a time.
   */
  advisoryLocks: boolean;
  /** Column type of an auto-incrementing integer primary key in a migration. */
  serialType: 'integer' | 'bigserial';
  /**
   * `INSERT … SELECT ?, column1, … FROM (VALUES (?), …)` stores what `INSERT … VALUES` would (multi-row-insert.ts binds a
   * value shared by every row once). Not on PostgreSQL: its VALUES types unadorned parameters as text, which a real
   * or integer column refuses.
   */
  insertFromValues: boolean;
}

export const sqliteCapabilities: EngineCapabilities = {
  name: 'sqlite',
  skipLocked: false,
  multiProcess: false,
  advisoryLocks: false,
  serialType: 'integer',
  insertFromValues: true,
};

export const postgresCapabilities: EngineCapabilities = {
  name: 'postgres',
  skipLocked: true,
  multiProcess: true,
  advisoryLocks: true,
  serialType: 'bigserial',
  insertFromValues: false,
};
