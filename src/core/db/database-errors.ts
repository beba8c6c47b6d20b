/*
 * Database error codes, translated in one place (pg-boss's idea): the rest of the code asks what an error means, not
 * which engine raised it.
 */
type Coded = { code?: unknown } | null | undefined;

/** The database cannot be reached or is too busy right now: worth retrying, not a fault of the request. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = String((error as Coded)?.code ?? '');
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'SQLITE_BUSY', 'SQLITE_LOCKED'].includes(code)
    // PostgreSQL SQLSTATE class 08 (connection exception), 57P0x (server shutting down), 53300 (too many connections).
    || /^08...$/.test(code) || /^57P0\d$/.test(code) || code === '53300'
    || /Connection terminated|timeout exceeded when trying to connect/i.test(String((error as Error)?.message ?? ''))
  );
}

/** Two writers raced for the same unique key (PostgreSQL 23505, SQLite's UNIQUE constraint). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as Coded)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
