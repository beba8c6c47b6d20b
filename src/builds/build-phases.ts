import type { EventKind } from '../events/event-queries.js';

/*
 * The phases of a build (spec concepts.md, "Build"; ingest.md, "Builds"): queued → started → success | failure |
 * cancelled, and queued → cancelled. Pure: the routes and the transaction ask this module, never a list of their own.
 */
export const buildPhases = ['queued', 'started', 'success', 'failure', 'cancelled'] as const;
export type BuildPhase = (typeof buildPhases)[number];

/** The phases a caller may report; `queued` is where every build begins, set by creating it. */
export const reportablePhases = ['started', 'success', 'failure', 'cancelled'] as const;
export type ReportedPhase = (typeof reportablePhases)[number];

const following: Record<BuildPhase, readonly BuildPhase[]> = {
  queued: ['started', 'cancelled'],
  started: ['success', 'failure', 'cancelled'],
  success: [],
  failure: [],
  cancelled: [],
};

/** `move`: a step forward; `repeat`: already there (idempotent); `refused`: backwards, sideways or past the end. */
export type PhaseStep = 'move' | 'repeat' | 'refused';

export function phaseStep(from: BuildPhase, to: BuildPhase): PhaseStep {
  if (from === to) return 'repeat';
  return following[from].includes(to) ? 'move' : 'refused';
}

export function isFinished(phase: BuildPhase): boolean {
  return following[phase].length === 0;
}

export function isBuildPhase(value: string): value is BuildPhase {
  return (buildPhases as readonly string[]).includes(value);
}

/** The sentence of a refused step (the 409's message): it names the current phase. */
export function refusedStepMessage(buildId: string, from: BuildPhase, to: BuildPhase): string {
  const hint = from === 'queued' && (to === 'success' || to === 'failure') ? '; report started first' : '';
  return `build ${buildId} is ${from}; it cannot move to ${to}${hint}`;
}

/** Quay's event for entering each phase (notifications.md). */
export const phaseEvents: Record<BuildPhase, EventKind> = {
  queued: 'build_queued',
  started: 'build_start',
  success: 'build_success',
  failure: 'build_failure',
  cancelled: 'build_cancelled',
};
