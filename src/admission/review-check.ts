/*
 * A review's images against the policies of its environment (admission.md "Policies"), turned into the answer's
 * refusal message and warnings and into the rows of the decision log.
 */
import type { Db } from '../core/db/database.js';
import { checkImages } from './policy-check.js';
import { listPolicies } from './policy-queries.js';
import { policiesFor } from './policy.js';
import type { ResolvedImage } from './review-images.js';
import type { DecisionRow } from './review-decision-queries.js';

export interface ReviewCheck {
  allowed: boolean;
  /** The enforce policies' messages, for status.message; null when allowed. */
  message: string | null;
  warnings: string[];
  /** One per distinct image checked, only when a policy applies to the environment (see the README). */
  decisions: Array<Omit<DecisionRow, 'at'>>;
}

const allowedAsIs: ReviewCheck = { allowed: true, message: null, warnings: [], decisions: [] };

// Kubernetes shows status.message to whoever ran kubectl and keeps it in events; past this it is noise.
const MAX_MESSAGE = 4000;

export async function checkReview(
  db: Db, cluster: { id: string; workspaceId: string }, environment: string, images: readonly ResolvedImage[],
): Promise<ReviewCheck> {
  if (images.length === 0) return allowedAsIs;
  // One evaluation per distinct image: the same image in two containers is one decision.
  const distinct = [...new Map(images.map((i) => [i.underPolicy.reference, i.underPolicy])).values()];
  // Always against the stored policies: a policy created a moment ago refuses at once.
  const evaluations = await checkImages(db, cluster.workspaceId, environment, distinct);
  const refusals = unique(evaluations.flatMap((e) => (e.message === null ? [] : [e.message])));
  // Without a policy for the environment there was no decision to keep; a broken rule always shows one applied.
  const kept = evaluations.some((e) => e.decisions.length > 0) || await policyApplies(db, cluster.workspaceId, environment);
  return {
    allowed: refusals.length === 0,
    message: refusals.length === 0 ? null : truncate(refusals.join('; '), MAX_MESSAGE),
    warnings: unique(evaluations.flatMap((e) => e.warnings)),
    decisions: !kept ? [] : evaluations.map((e, i) => ({
      workspace_id: cluster.workspaceId,
      cluster_id: cluster.id,
      environment,
      image: distinct[i]!.reference,
      result: e.result,
      messages: JSON.stringify(e.decisions.map((d) => d.message)),
    })),
  };
}

/*
 * Whether any policy applies, only to decide if a clean image's "allowed" is logged. The workspace's policy list is
 * remembered for a few seconds (checkImages has just read it; reading it again per review is a round trip on
 * PostgreSQL): at worst, "allowed" rows are missing or extra for that long after a policy is created or deleted.
 */
const POLICY_LIST_MS = 5000;
const policyLists = new Map<string, { at: number; environments: string[][] }>();

async function policyApplies(db: Db, workspaceId: string, environment: string): Promise<boolean> {
  let hit = policyLists.get(workspaceId);
  if (!hit || Date.now() - hit.at > POLICY_LIST_MS) {
    hit = { at: Date.now(), environments: (await listPolicies(db, workspaceId)).map((p) => p.environments) };
    if (policyLists.size >= 1000) policyLists.delete(policyLists.keys().next().value!);
    policyLists.set(workspaceId, hit);
  }
  return policiesFor(environment, hit.environments.map((environments) => ({ environments }))).length > 0;
}

const unique = (items: readonly string[]) => [...new Set(items)];

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
