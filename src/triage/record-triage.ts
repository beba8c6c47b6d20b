/*
 * Triage decisions by hand or from a VEX document (ingest.md "Triage by hand, and back out as VEX"): stored, the older
 * decision of the same scope replaced, the summaries they touch recomputed and the trend written — in one transaction.
 */
import type { Storage } from '../core/db/database.js';
import { newId } from '../core/ids.js';
import { nowIso } from '../core/clock.js';
import { ApiError } from '../core/errors.js';
import { recordAudit } from '../audit/audit-queries.js';
import { ensureRepository } from '../registry/repository-queries.js';
import { recomputeSummaries } from './recompute-summaries.js';
import { deleteDecision, findDecision, lockDecisionScope, replaceDecision, type DecisionRow, type DecisionView } from './triage-queries.js';

export type Writer = Pick<Storage, 'transact' | 'engine'>;

export interface NewDecision {
  vulnerability: string;
  state: string;
  justification: string | null;
  detail: string | null;
  /** Canonical repository name; null holds for the whole workspace. */
  repository: string | null;
  /** null holds for every package. */
  package: string | null;
}

/** Records decisions in order (a later one of the same scope replaces an earlier one) and answers them as stored. */
export async function recordDecisions(
  writer: Writer,
  input: { workspaceId: string; tokenId: string | null; decisions: NewDecision[]; source: 'api' | 'vex' },
): Promise<DecisionView[]> {
  const at = nowIso();
  return writer.transact(async (trx) => {
    const repositoryIds = new Map<string, string>();
    const stored = new Map<string, DecisionView>();
    for (const d of input.decisions) {
      let repositoryId: string | null = null;
      if (d.repository !== null) {
        repositoryId = repositoryIds.get(d.repository) ?? await ensureRepository(trx, input.workspaceId, d.repository, at);
        repositoryIds.set(d.repository, repositoryId);
      }
      const row: DecisionRow = {
        id: newId(),
        workspace_id: input.workspaceId,
        vulnerability_id: d.vulnerability,
        repository_id: repositoryId,
        package: d.package,
        state: d.state,
        justification: d.justification,
        detail: d.detail,
        token_id: input.tokenId,
        created_at: at,
      };
      await lockDecisionScope(trx, writer.engine, row);
      const replaced = await replaceDecision(trx, row);
      stored.set(`${row.vulnerability_id}\u0000${repositoryId ?? ''}\u0000${row.package ?? '\u0001'}`, { ...row, repository: d.repository });
      await recordAudit(trx, {
        workspaceId: input.workspaceId,
        tokenId: input.tokenId,
        action: 'triage.record',
        target: row.id,
        detail: { vulnerability: row.vulnerability_id, state: row.state, repository: d.repository, package: row.package, replaced, source: input.source },
      });
    }
    await recomputeSummaries(trx, input.workspaceId, input.decisions.map((d) => d.vulnerability), at);
    return [...stored.values()];
  });
}

/** Deletes a decision of the caller's workspace (404 otherwise) after `allowed` checked its repository. */
export async function removeDecision(
  writer: Writer,
  input: { workspaceId: string; tokenId: string | null; id: string; allowed: (decision: DecisionView) => void },
): Promise<DecisionView> {
  return writer.transact(async (trx) => {
    const decision = await findDecision(trx, input.workspaceId, input.id);
    if (!decision) throw new ApiError('TW_NOT_FOUND', `triage decision ${input.id} not found`);
    input.allowed(decision);
    const at = nowIso();
    await deleteDecision(trx, input.workspaceId, decision.id);
    await recomputeSummaries(trx, input.workspaceId, [decision.vulnerability_id], at);
    await recordAudit(trx, {
      workspaceId: input.workspaceId,
      tokenId: input.tokenId,
      action: 'triage.delete',
      target: decision.id,
      detail: { vulnerability: decision.vulnerability_id, repository: decision.repository, package: decision.package },
    });
    return decision;
  });
}
