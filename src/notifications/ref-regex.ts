/*
 * The build events' `ref-regex` filter (notifications.md): matched against trigger_metadata.ref, anchored at the start
 * only — as Quay does with Python's re.match — so `refs/heads/ma` matches `refs/heads/main`; write
 * `refs/heads/main$` for exactly one branch.
 *
 * A notification's regex runs on every build event, against a ref any CI reporter with a write token chooses, in the
 * server's one JavaScript thread: a backtracking blow-up would stall every request. JavaScript cannot interrupt a
 * match, so patterns are screened when the notification is created. The screen is a heuristic over the pattern's
 * text, deliberately strict (a few safe patterns are refused; each refusal says how to rewrite it):
 *   1. at most 256 characters, and it must compile as a JavaScript RegExp (no flags);
 *   2. no backreferences (\1, \k<name>): matching with them is NP-hard;
 *   3. no group repeated by *, +, {n,} or {n,m} with m > 1 that itself holds a quantifier or an alternation —
 *      `(a+)+`, `(\w*)*`, `(a|aa)+`: the exponential family;
 *   4. an estimate of the match's backtracking paths — the product of every quantifier's choices (`?` 2,
 *      `{n,m}` m−n+1, unbounded 128) and of every group's alternatives — at most 2^21, about two million (the worst
 *      accepted pattern takes ~100 ms on a 256-character ref). Sibling quantifiers over the same characters
 *      (`\w*\w*\w*\w*x`, `a?a?a?…aaa`, `(a|a)(a|a)…`) backtrack along every path. Three `\d+` pass, four do not;
 *      `\d{1,6}` is cheaper than `\d+`, and since `$` is not implied a trailing `.*` or `(-rc\d+)?` is never needed;
 *   5. at match time a ref over 256 characters never matches, which is what makes 128 a fair count for `*` (k
 *      sibling stars over n characters have about n^k/k! paths).
 */
export const refRegexMaxLength = 256;
export const refMaxLength = 256;
const maxLog2Paths = 21;
const unboundedChoices = 128;

/** Why the pattern is refused, as a sentence; null when it is accepted. */
export function refRegexProblem(pattern: string): string | null {
  if (pattern.length > refRegexMaxLength) {
    return `must be at most ${refRegexMaxLength} characters (got ${pattern.length})`;
  }
  try {
    new RegExp(pattern);
  } catch (error) {
    return `is not a valid regular expression: ${(error as Error).message}`;
  }
  return backtrackingRisk(pattern);
}

const cache = new Map<string, RegExp>();

/** Whether a screened pattern matches the ref from its start. A pattern that does not compile matches nothing. */
export function refMatches(pattern: string, ref: string): boolean {
  if (ref.length > refMaxLength) return false;
  let re = cache.get(pattern);
  if (!re) {
    try {
      re = new RegExp(`^(?:${pattern})`);
    } catch {
      return false;
    }
    if (cache.size < 1000) cache.set(pattern, re);
  }
  return re.test(ref);
}

interface Frame {
  /** The group holds a quantifier (at any depth). */
  quantified: boolean;
  /** The group holds an alternation (at any depth). */
  alternation: boolean;
  /** Alternatives directly in this group. */
  alternatives: number;
}

interface Quantifier {
  end: number;
  /** It can match the atom more than once. */
  repeats: boolean;
  /** How many counts of the atom it can try. */
  choices: number;
}

const frame = (): Frame => ({ quantified: false, alternation: false, alternatives: 1 });

function backtrackingRisk(pattern: string): string | null {
  const stack: Frame[] = [frame()];
  let log2Paths = 0;
  let i = 0;
  while (i < pattern.length) {
    const ch = pattern[i]!;
    let closed: Frame | undefined;
    if (ch === '\\') {
      const next = pattern[i + 1] ?? '';
      if (/[1-9]/.test(next) || (next === 'k' && pattern[i + 2] === '<')) {
        return 'must not use backreferences (\\1, \\k<name>): matching them can take exponential time';
      }
      i += 2;
    } else if (ch === '[') {
      i = classEnd(pattern, i);
    } else if (ch === '(') {
      stack.push(frame());
      i = groupBodyStart(pattern, i);
      continue;
    } else if (ch === ')') {
      closed = stack.length > 1 ? stack.pop() : undefined;
      if (closed) log2Paths += Math.log2(closed.alternatives);
      i++;
    } else if (ch === '|') {
      const top = stack[stack.length - 1]!;
      top.alternation = true;
      top.alternatives++;
      i++;
      continue;
    } else {
      i++;
    }
    const top = stack[stack.length - 1]!;
    const q = quantifierAt(pattern, i);
    if (q) {
      i = q.end;
      top.quantified = true;
      log2Paths += Math.log2(q.choices);
      if (closed && q.repeats && (closed.quantified || closed.alternation)) {
        return `must not repeat a group that holds a quantifier or "|" (near "${pattern.slice(0, q.end)}"), like (a+)+ or (a|aa)+: `
          + 'it can take exponential time; repeat a single character class instead, e.g. [a-z0-9-]+';
      }
    }
    if (closed) {
      top.quantified ||= closed.quantified;
      top.alternation ||= closed.alternation;
    }
  }
  log2Paths += Math.log2(stack[0]!.alternatives);
  // Three unbounded quantifiers are exactly 2^21: a float epsilon keeps them in.
  if (log2Paths > maxLog2Paths + 1e-9) {
    return `has too many ways to match (about 2^${Math.round(log2Paths)}; the limit is 2^${maxLog2Paths}), which can take `
      + 'a long time on a long ref: use fewer of *, + and ?, bounded counts like \\d{1,6} instead of \\d+, and no trailing .* '
      + '(the match is anchored at the start only)';
  }
  return null;
}

/** Index after a character class; JavaScript's `[]` is an empty class, so a leading ']' closes it. */
function classEnd(pattern: string, open: number): number {
  let i = open + 1;
  while (i < pattern.length && pattern[i] !== ']') i += pattern[i] === '\\' ? 2 : 1;
  return i + 1;
}

/** Index after `(`, `(?:`, `(?=`, `(?!`, `(?<=`, `(?<!` or `(?<name>`. */
function groupBodyStart(pattern: string, open: number): number {
  if (pattern[open + 1] !== '?') return open + 1;
  const kind = pattern[open + 2];
  if (kind !== '<') return open + 3;
  const after = pattern[open + 3];
  if (after === '=' || after === '!') return open + 4;
  const close = pattern.indexOf('>', open);
  return close === -1 ? pattern.length : close + 1;
}

function quantifierAt(pattern: string, i: number): Quantifier | null {
  const ch = pattern[i];
  let q: Quantifier | null = null;
  if (ch === '*' || ch === '+') q = { end: i + 1, repeats: true, choices: unboundedChoices };
  else if (ch === '?') q = { end: i + 1, repeats: false, choices: 2 };
  else if (ch === '{') {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
    if (m) {
      const min = Number(m[1]);
      const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      const choices = max === Infinity ? unboundedChoices : Math.max(1, max - min + 1);
      q = { end: i + m[0].length, repeats: max > 1, choices };
    }
  }
  // A lazy quantifier backtracks as much as a greedy one.
  if (q && pattern[q.end] === '?') q.end++;
  return q;
}
