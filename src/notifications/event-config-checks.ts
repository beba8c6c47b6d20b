/*
 * Checks of single eventConfig values. Each answers the normalised value, or the rest of a sentence that starts
 * with the field's name ("eventConfig.level must be …"), so every 400 names the field and the rule.
 */
export type KeyCheck = (value: unknown) => { value: unknown } | string;

const maxPatterns = 50;
const maxTagPattern = 128;
// Tag characters (Distribution: \w[\w.-]*) plus the two wildcards.
const tagPatternRe = /^[A-Za-z0-9_.*?-]+$/;

export const patternListOk: KeyCheck = (value) => {
  if (!Array.isArray(value)) return 'must be a list of tag patterns, e.g. ["latest", "v*"]';
  // An empty list would be a notification that never fires; leaving the key out matches every tag.
  if (value.length === 0) return 'must list at least one tag pattern (leave it out to match every tag)';
  if (value.length > maxPatterns) return `must list at most ${maxPatterns} tag patterns (got ${value.length})`;
  for (const [i, p] of value.entries()) {
    if (typeof p !== 'string') return `[${i}] must be a string`;
    if (p.length === 0 || p.length > maxTagPattern) return `[${i}] must be 1 to ${maxTagPattern} characters`;
    if (!tagPatternRe.test(p)) {
      return `[${i}] ${JSON.stringify(p)} must hold only tag characters (letters, digits, "_", ".", "-") and the wildcards * and ?`;
    }
  }
  return { value: [...new Set(value as string[])] };
};

const maxEnvironments = 100;
// deployments.md: 1–128 chars of A-Za-z0-9._-/
const environmentRe = /^[A-Za-z0-9._\-/]{1,128}$/;

export const environmentsOk: KeyCheck = (value) => {
  if (!Array.isArray(value)) return 'must be a list of environment names, e.g. ["production"]';
  if (value.length === 0) return 'must list at least one environment (leave it out for every environment)';
  if (value.length > maxEnvironments) return `must list at most ${maxEnvironments} environments (got ${value.length})`;
  for (const [i, env] of value.entries()) {
    if (typeof env !== 'string') return `[${i}] must be a string (an environment name)`;
    if (/[*?]/.test(env)) return `[${i}] ${JSON.stringify(env)}: environments are plain names, matched exactly; globs are not supported`;
    if (!environmentRe.test(env)) return `[${i}] ${JSON.stringify(env)} is not an environment name: 1 to 128 characters of A-Z a-z 0-9 . _ - /`;
  }
  return { value: [...new Set(value as string[])] };
};

export const levelOk: KeyCheck = (value) => {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 5) {
    return 'must be an integer from 0 to 5 (0 Critical, 1 High, 2 Medium, 3 Low, 4 Negligible, 5 Unknown)';
  }
  return { value };
};
