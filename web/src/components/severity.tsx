/*
 * Severity, the same everywhere (ui.md "consistent severity colours (Critical, High, Medium, Low, Negligible,
 * Unknown)"): one CSS class per level (styles/app.css), and counts that always say the level in words for screen
 * readers and tooltips.
 */
import { severities, type Severity, type SeverityCounts } from '../api/types';

export const severityClass = (s: string): string => `sev sev-${s.toLowerCase()}`;

export function SeverityBadge({ severity }: { severity: string }) {
  const known = (severities as readonly string[]).includes(severity);
  return <span className={severityClass(known ? severity : 'Unknown')}>{severity}</span>;
}

/** Open vulnerabilities by severity, with how many of them are fixable beside each count. */
export function SeverityCounts({ counts, fixable, compact = false }: { counts: SeverityCounts; fixable?: SeverityCounts; compact?: boolean }) {
  const shown = severities.filter((s) => !compact || counts[s] > 0);
  if (shown.length === 0) return <span className="muted">none open</span>;
  return (
    <span className="sev-counts">
      {shown.map((s) => {
        const fix = fixable?.[s] ?? 0;
        const label = `${s}: ${counts[s]} open${fixable ? `, ${fix} fixable` : ''}`;
        return (
          <span key={s} className={`${severityClass(s)}${counts[s] === 0 ? ' sev-zero' : ''}`} title={label} aria-label={label} role="img">
            <span aria-hidden="true">{abbreviation[s]} {counts[s]}{fixable && fix > 0 ? <small> ({fix})</small> : null}</span>
          </span>
        );
      })}
    </span>
  );
}

const abbreviation: Record<Severity, string> = { Critical: 'C', High: 'H', Medium: 'M', Low: 'L', Negligible: 'N', Unknown: 'U' };

export const totalOf = (counts: SeverityCounts): number => severities.reduce((n, s) => n + counts[s], 0);

/** Severity words for select boxes, most severe first. */
export const severityOptions = severities;
