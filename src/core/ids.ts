import { randomBytes } from 'node:crypto';

/**
 * A UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. Ids that grow with time land at the
 * end of their B-tree index instead of at a random page, so a commit of many new rows writes a few pages rather than
 * one page per row — on SQLite that is most of what a commit costs. Still unguessable enough for ids (74 random bits).
 */
export function newId(now = Date.now()): string {
  return newIds(1, now)[0]!;
}

/** `count` ids from one draw of random bytes: for batches (a scan's events), where a draw each costs as much as a row. */
export function newIds(count: number, now = Date.now()): string[] {
  const bytes = randomBytes(16 * count);
  const ids: string[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const b = bytes.subarray(16 * i, 16 * i + 16);
    b.writeUIntBE(now, 0, 6);
    b[6] = (b[6]! & 0x0f) | 0x70;
    b[8] = (b[8]! & 0x3f) | 0x80;
    const h = b.toString('hex');
    ids[i] = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  return ids;
}
