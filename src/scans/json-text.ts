/*
 * A JSON body's bytes as the text JSON.parse reads, faster than `toString('utf8')` and parsing to the same values.
 * V8 decodes UTF-8 at ~300 MB/s here, and a single character outside ASCII makes the whole text a two-byte string:
 * for Trivy's 843 KB juice-shop report (42 bytes outside ASCII) the decoding alone took longer than JSON.parse.
 * ASCII bytes are copied as they are (latin1), and each run of other bytes becomes \uXXXX escapes, which JSON.parse
 * turns back into the same characters. The pieces are joined as bytes and decoded once: joining latin1 strings cost
 * half again as much (1.4 against 0.9 ms for that report), each piece being a string of its own before the join.
 * Invalid UTF-8 becomes U+FFFD as toString('utf8') makes it, since a run ends at an ASCII byte, where any decoder ends
 * an unfinished sequence too.
 *
 * The text is then made where it costs least. Node copies a latin1 string of up to 1,031,913 bytes (EXTERN_APEX in
 * its src/string_bytes.cc) into V8's heap, and one over 128 KiB goes to V8's large-object space, freshly mapped
 * memory every time: ~1 µs per KiB, 1.0 ms for that 843 KB report, half as long as its JSON.parse. A longer string
 * Node keeps outside the heap, in malloc'd memory it reuses: 0.2 ms whatever the length. So a text between 192 KiB
 * and that limit is padded with spaces, which JSON allows after the value, to just past it. Correct either way: were
 * the limit to change, only the speed would.
 */
import { isAscii } from 'node:buffer';

const CHUNK = 4096;
const BACKSLASH = 0x5c;

const PAD_FROM = 192 * 1024;
const OUTSIDE_HEAP = 0xfbee9 + 1;
const SPACE = 0x20;
/** Where a padded text is assembled: one per thread (the parse worker), reused, since the string is a copy of it. */
let scratch: Buffer | undefined;

export function jsonText(bytes: Buffer): string {
  if (isAscii(bytes)) return latin1([bytes], bytes.length);
  const parts: Buffer[] = [];
  let from = 0;
  for (let chunk = 0; chunk < bytes.length; chunk += CHUNK) {
    const end = Math.min(chunk + CHUNK, bytes.length);
    if (end <= from || isAscii(bytes.subarray(Math.max(chunk, from), end))) continue;
    for (let i = Math.max(chunk, from); i < end; i++) {
      if (bytes[i]! < 0x80) continue;
      // A backslash before the run would escape the backslash of the first \u: the text must stay as it was.
      if (i > 0 && bytes[i - 1] === BACKSLASH) return bytes.toString('utf8');
      let j = i + 1;
      while (j < bytes.length && bytes[j]! >= 0x80) j++;
      parts.push(bytes.subarray(from, i), Buffer.from(escapes(bytes.toString('utf8', i, j)), 'latin1'));
      from = j;
      i = j - 1;
    }
  }
  parts.push(bytes.subarray(from));
  let length = 0;
  for (const p of parts) length += p.length;
  return latin1(parts, length);
}

/** The parts' bytes joined as one latin1 string (padded: see the header). */
function latin1(parts: Buffer[], length: number): string {
  if (length < PAD_FROM || length >= OUTSIDE_HEAP) {
    return parts.length === 1 ? parts[0]!.toString('latin1') : Buffer.concat(parts, length).toString('latin1');
  }
  const buffer = scratch ??= Buffer.allocUnsafeSlow(OUTSIDE_HEAP);
  let at = 0;
  for (const p of parts) at += p.copy(buffer, at);
  buffer.fill(SPACE, at);
  return buffer.toString('latin1');
}

function escapes(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) out += `\\u${text.charCodeAt(i).toString(16).padStart(4, '0')}`;
  return out;
}
