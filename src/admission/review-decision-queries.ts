/*
 * The admission decision log written by the review (admission.md "Policies": every decision is kept). Reading it back
 * (GET /api/v1/admission/decisions) is in the decision routes; only the insert lives here, on the review's path.
 */
import type { Db } from '../core/db/database.js';
import type { EngineCapabilities } from '../core/db/engine.js';
import { insertRows } from '../core/db/multi-row-insert.js';

export interface DecisionRow {
  workspace_id: string;
  cluster_id: string;
  environment: string;
  /** The image as the messages name it, `repository[:tag][@digest]`. */
  image: string;
  result: 'allowed' | 'warned' | 'refused';
  /** JSON text: the messages of every broken rule (audit ones included). */
  messages: string;
  at: string;
}

const columns = ['workspace_id', 'cluster_id', 'environment', 'image', 'result', 'messages', 'at'] as const;

/** One multi-row INSERT per review, in the transaction that records the review's Pod. */
export async function insertDecisions(trx: Db, engine: EngineCapabilities, rows: readonly DecisionRow[]): Promise<void> {
  if (rows.length > 0) await insertRows(trx, engine, 'admission_decisions', columns, rows);
}
