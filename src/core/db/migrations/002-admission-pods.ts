import type { Kysely } from 'kysely';
import type { EngineCapabilities } from '../engine.js';

// Issue 6 (admission.md "What gets recorded"): the live Pods of each instance an admission webhook recorded, one row
// per (Pod, container), so a Pod DELETE removes its rows and the last row of an instance ends its deployment.
// Never edit once landed: add a new numbered migration instead.
export async function up(db: Kysely<unknown>, _engine: EngineCapabilities): Promise<void> {
  const text = 'text' as const;
  await db.schema.createTable('admission_pods')
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('cluster_id', text, (c) => c.notNull())
    .addColumn('namespace', text, (c) => c.notNull())
    .addColumn('pod_name', text, (c) => c.notNull())
    .addColumn('container', text, (c) => c.notNull())
    .addColumn('pod_uid', text)
    .addColumn('environment', text, (c) => c.notNull())
    .addColumn('workload', text, (c) => c.notNull())
    .addColumn('instance_name', text, (c) => c.notNull())
    .addColumn('repository', text, (c) => c.notNull())
    .addColumn('tag', text)
    .addColumn('digest', text)
    .addColumn('resolved_from', text)
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('admission_pods_pk', ['cluster_id', 'namespace', 'pod_name', 'container'])
    .execute();
  // Led by the instance and the workload, not by (cluster, namespace): sharing the key's prefix, PostgreSQL picked them
  // for a Pod's lookup and filtered a whole namespace's rows by name.
  await db.schema.createIndex('admission_pods_instance')
    .on('admission_pods').columns(['instance_name', 'namespace', 'cluster_id']).execute();
  await db.schema.createIndex('admission_pods_workload')
    .on('admission_pods').columns(['workload', 'namespace', 'cluster_id']).execute();
}
