import { sql, type CreateTableBuilder, type Kysely } from 'kysely';
import type { EngineCapabilities } from '../engine.js';

// The whole domain of spec/concepts.md in one migration, so later issues add behaviour rather than reshape tables.
// Never edit once landed: add a new numbered migration instead.
export async function up(db: Kysely<unknown>, engine: EngineCapabilities): Promise<void> {
  const serialId = (name: string) => <T extends CreateTableBuilder<any, any>>(table: T): T =>
    (engine.serialType === 'integer'
      ? table.addColumn(name, 'integer', (c) => c.primaryKey().autoIncrement())
      : table.addColumn(name, 'bigserial', (c) => c.primaryKey())) as T;
  const text = 'text' as const;
  const int = 'integer' as const;
  const s = db.schema;

  await s.createTable('workspaces')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('name', text, (c) => c.notNull().unique())
    .addColumn('created_at', text, (c) => c.notNull())
    .execute();

  await s.createTable('tokens')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('workspace_id', text, (c) => c.notNull().references('workspaces.id'))
    .addColumn('name', text, (c) => c.notNull())
    .addColumn('role', text, (c) => c.notNull())
    .addColumn('repo_glob', text)
    .addColumn('prefix', text, (c) => c.notNull())
    .addColumn('hash', text, (c) => c.notNull().unique())
    .addColumn('expires_at', text)
    .addColumn('last_used_at', text)
    .addColumn('revoked_at', text)
    .addColumn('created_at', text, (c) => c.notNull())
    .execute();
  await s.createIndex('tokens_workspace').on('tokens').column('workspace_id').execute();

  await s.createTable('repositories')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('workspace_id', text, (c) => c.notNull().references('workspaces.id'))
    .addColumn('name', text, (c) => c.notNull())
    .addColumn('created_at', text, (c) => c.notNull())
    .addUniqueConstraint('repositories_workspace_name', ['workspace_id', 'name'])
    .execute();

  await s.createTable('images')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('repository_id', text, (c) => c.notNull().references('repositories.id'))
    .addColumn('digest', text, (c) => c.notNull())
    .addColumn('media_type', text)
    .addColumn('is_index', int, (c) => c.notNull().defaultTo(0))
    .addColumn('os', text)
    .addColumn('architecture', text)
    .addColumn('variant', text)
    .addColumn('first_seen_at', text, (c) => c.notNull())
    .addColumn('deleted_at', text)
    .addUniqueConstraint('images_repository_digest', ['repository_id', 'digest'])
    .execute();
  await s.createIndex('images_workspace_digest').on('images').columns(['workspace_id', 'digest']).execute();

  await s.createTable('image_children')
    .$call(serialId('id'))
    .addColumn('image_id', text, (c) => c.notNull().references('images.id'))
    .addColumn('child_digest', text, (c) => c.notNull())
    .addColumn('os', text)
    .addColumn('architecture', text)
    .addColumn('variant', text)
    .addUniqueConstraint('image_children_unique', ['image_id', 'child_digest'])
    .execute();

  await s.createTable('tags')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('repository_id', text, (c) => c.notNull().references('repositories.id'))
    .addColumn('name', text, (c) => c.notNull())
    .addColumn('digest', text)
    .addColumn('updated_at', text, (c) => c.notNull())
    .addUniqueConstraint('tags_repository_name', ['repository_id', 'name'])
    .execute();
  await s.createIndex('tags_workspace_digest').on('tags').columns(['workspace_id', 'digest']).execute();

  await s.createTable('tag_history')
    .$call(serialId('id'))
    .addColumn('tag_id', text, (c) => c.notNull().references('tags.id'))
    .addColumn('digest', text)
    .addColumn('action', text, (c) => c.notNull())
    .addColumn('source', text, (c) => c.notNull())
    .addColumn('at', text, (c) => c.notNull())
    .execute();
  await s.createIndex('tag_history_tag').on('tag_history').columns(['tag_id', 'at']).execute();

  await s.createTable('builds')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('repository_id', text, (c) => c.notNull().references('repositories.id'))
    .addColumn('phase', text, (c) => c.notNull())
    .addColumn('build_name', text)
    .addColumn('docker_tags', text, (c) => c.notNull())
    .addColumn('trigger_kind', text)
    .addColumn('trigger_id', text)
    .addColumn('trigger_metadata', text)
    .addColumn('is_manual', int, (c) => c.notNull().defaultTo(0))
    .addColumn('manual_user', text)
    .addColumn('image_id', text)
    .addColumn('manifest_digests', text, (c) => c.notNull())
    .addColumn('error_message', text)
    .addColumn('commit_sha', text)
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('started_at', text)
    .addColumn('finished_at', text)
    .addColumn('updated_at', text, (c) => c.notNull())
    .execute();
  await s.createIndex('builds_repository').on('builds').columns(['repository_id', 'created_at']).execute();
  await s.createIndex('builds_workspace').on('builds').columns(['workspace_id', 'created_at']).execute();

  await s.createTable('build_images')
    .addColumn('build_id', text, (c) => c.notNull().references('builds.id'))
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('digest', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('build_images_pk', ['build_id', 'digest'])
    .execute();
  await s.createIndex('build_images_digest').on('build_images').columns(['workspace_id', 'digest']).execute();

  await s.createTable('scans')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('digest', text, (c) => c.notNull())
    .addColumn('format', text, (c) => c.notNull())
    .addColumn('scanner_name', text)
    .addColumn('scanner_version', text)
    .addColumn('findings_count', int, (c) => c.notNull())
    .addColumn('is_current', int, (c) => c.notNull().defaultTo(0))
    .addColumn('summary', text, (c) => c.notNull())
    .addColumn('warnings', text)
    .addColumn('created_at', text, (c) => c.notNull())
    .execute();
  await s.createIndex('scans_current_digest').on('scans').columns(['workspace_id', 'digest'])
    .where(sql.ref('is_current'), '=', 1).execute();
  await s.createIndex('scans_digest').on('scans').columns(['workspace_id', 'digest', 'created_at']).execute();

  await s.createTable('findings')
    .$call(serialId('id'))
    .addColumn('scan_id', text, (c) => c.notNull().references('scans.id'))
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('digest', text, (c) => c.notNull())
    .addColumn('vulnerability_id', text, (c) => c.notNull())
    .addColumn('package', text, (c) => c.notNull())
    .addColumn('installed_version', text)
    .addColumn('location', text)
    .addColumn('fixed_version', text)
    .addColumn('fix_state', text, (c) => c.notNull())
    .addColumn('severity', text, (c) => c.notNull())
    .addColumn('cvss', 'real')
    .addColumn('link', text)
    .addColumn('description', text)
    .execute();
  await s.createIndex('findings_scan').on('findings').column('scan_id').execute();
  await s.createIndex('findings_vulnerability').on('findings').columns(['workspace_id', 'vulnerability_id']).execute();

  await s.createTable('triage')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('vulnerability_id', text, (c) => c.notNull())
    .addColumn('repository_id', text)
    .addColumn('package', text)
    .addColumn('state', text, (c) => c.notNull())
    .addColumn('justification', text)
    .addColumn('detail', text)
    .addColumn('token_id', text)
    .addColumn('created_at', text, (c) => c.notNull())
    .execute();
  await s.createIndex('triage_vulnerability').on('triage').columns(['workspace_id', 'vulnerability_id']).execute();

  await s.createTable('environments')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('workspace_id', text, (c) => c.notNull().references('workspaces.id'))
    .addColumn('name', text, (c) => c.notNull())
    .addColumn('created_at', text, (c) => c.notNull())
    .addUniqueConstraint('environments_workspace_name', ['workspace_id', 'name'])
    .execute();

  await s.createTable('deployments')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('environment_id', text, (c) => c.notNull().references('environments.id'))
    .addColumn('instance_name', text, (c) => c.notNull())
    .addColumn('repository_id', text, (c) => c.notNull().references('repositories.id'))
    .addColumn('digest', text, (c) => c.notNull())
    .addColumn('tag', text)
    .addColumn('os', text, (c) => c.notNull())
    .addColumn('architecture', text, (c) => c.notNull())
    .addColumn('variant', text)
    .addColumn('deployed_at', text, (c) => c.notNull())
    .addColumn('last_seen_at', text, (c) => c.notNull())
    .addColumn('undeployed_at', text)
    .addColumn('replaced_digest', text)
    .addColumn('source', text, (c) => c.notNull())
    .execute();
  // One running deployment per instance key: the database, not the code, guarantees the spec's instance semantics.
  await s.createIndex('deployments_running_instance').on('deployments').columns(['environment_id', 'instance_name'])
    .unique().where(sql.ref('undeployed_at'), 'is', null).execute();
  await s.createIndex('deployments_environment_time').on('deployments').columns(['environment_id', 'deployed_at']).execute();
  await s.createIndex('deployments_repository').on('deployments').columns(['repository_id', 'undeployed_at']).execute();
  await s.createIndex('deployments_digest').on('deployments').columns(['workspace_id', 'digest']).execute();

  await s.createTable('events')
    .$call(serialId('id'))
    .addColumn('uuid', text, (c) => c.notNull().unique())
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('repository_id', text)
    .addColumn('kind', text, (c) => c.notNull())
    .addColumn('data', text, (c) => c.notNull())
    .addColumn('dedupe_key', text)
    .addColumn('created_at', text, (c) => c.notNull())
    .execute();
  await s.createIndex('events_dedupe').on('events').columns(['workspace_id', 'dedupe_key']).unique()
    .where(sql.ref('dedupe_key'), 'is not', null).execute();
  await s.createIndex('events_repository').on('events').columns(['repository_id', 'id']).execute();

  await s.createTable('notifications')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('repository_id', text, (c) => c.notNull().references('repositories.id'))
    .addColumn('title', text)
    .addColumn('event', text, (c) => c.notNull())
    .addColumn('method', text, (c) => c.notNull())
    .addColumn('config', text, (c) => c.notNull())
    .addColumn('event_config', text, (c) => c.notNull())
    .addColumn('secret_enc', text)
    .addColumn('enabled', int, (c) => c.notNull().defaultTo(1))
    .addColumn('number_of_failures', int, (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('deleted_at', text)
    .execute();
  await s.createIndex('notifications_repository_event').on('notifications').columns(['repository_id', 'event']).execute();

  await s.createTable('deliveries')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('notification_id', text, (c) => c.notNull().references('notifications.id'))
    .addColumn('event_id', engine.serialType === 'integer' ? 'integer' : 'bigint', (c) => c.notNull().references('events.id'))
    .addColumn('status', text, (c) => c.notNull())
    .addColumn('attempts', int, (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', text, (c) => c.notNull())
    .addColumn('lease_until', text)
    .addColumn('lease_owner', text)
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('completed_at', text)
    .execute();
  await s.createIndex('deliveries_due').on('deliveries').columns(['status', 'next_attempt_at']).execute();
  await s.createIndex('deliveries_notification').on('deliveries').columns(['notification_id', 'created_at']).execute();

  await s.createTable('delivery_attempts')
    .$call(serialId('id'))
    .addColumn('delivery_id', text, (c) => c.notNull().references('deliveries.id'))
    .addColumn('at', text, (c) => c.notNull())
    .addColumn('status_code', int)
    .addColumn('error', text)
    .addColumn('latency_ms', int, (c) => c.notNull())
    .addColumn('response_excerpt', text)
    .execute();
  await s.createIndex('delivery_attempts_delivery').on('delivery_attempts').column('delivery_id').execute();

  await s.createTable('trend_points')
    .$call(serialId('id'))
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('environment_id', text)
    .addColumn('at', text, (c) => c.notNull())
    .addColumn('critical', int, (c) => c.notNull())
    .addColumn('high', int, (c) => c.notNull())
    .addColumn('medium', int, (c) => c.notNull())
    .addColumn('low', int, (c) => c.notNull())
    .addColumn('negligible', int, (c) => c.notNull())
    .addColumn('unknown', int, (c) => c.notNull())
    .addColumn('fixable', int, (c) => c.notNull())
    .addColumn('distinct_vulnerabilities', int, (c) => c.notNull())
    .addColumn('risk_score', int, (c) => c.notNull())
    .execute();
  await s.createIndex('trend_points_series').on('trend_points').columns(['workspace_id', 'environment_id', 'at']).execute();

  await s.createTable('audit_log')
    .$call(serialId('id'))
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('token_id', text)
    .addColumn('action', text, (c) => c.notNull())
    .addColumn('target', text, (c) => c.notNull())
    .addColumn('detail', text)
    .addColumn('at', text, (c) => c.notNull())
    .execute();
  await s.createIndex('audit_log_workspace').on('audit_log').columns(['workspace_id', 'at']).execute();

  // Source events already taken in (registry event ids), so a redelivered hook is stored once.
  await s.createTable('ingest_receipts')
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('source', text, (c) => c.notNull())
    .addColumn('source_id', text, (c) => c.notNull())
    .addColumn('received_at', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('ingest_receipts_pk', ['workspace_id', 'source', 'source_id'])
    .execute();

  await s.createTable('hook_endpoints')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('kind', text, (c) => c.notNull())
    .addColumn('secret_hash', text, (c) => c.unique())
    .addColumn('config', text, (c) => c.notNull())
    .addColumn('created_at', text, (c) => c.notNull())
    .execute();

  await s.createTable('clusters')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('name', text, (c) => c.notNull())
    .addColumn('secret_hash', text, (c) => c.notNull().unique())
    .addColumn('fail_closed', int, (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', text, (c) => c.notNull())
    .addUniqueConstraint('clusters_workspace_name', ['workspace_id', 'name'])
    .execute();

  await s.createTable('policies')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('name', text, (c) => c.notNull())
    .addColumn('environments', text, (c) => c.notNull())
    .addColumn('mode', text, (c) => c.notNull())
    .addColumn('rules', text, (c) => c.notNull())
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .addUniqueConstraint('policies_workspace_name', ['workspace_id', 'name'])
    .execute();

  await s.createTable('admission_decisions')
    .$call(serialId('id'))
    .addColumn('workspace_id', text, (c) => c.notNull())
    .addColumn('cluster_id', text, (c) => c.notNull())
    .addColumn('environment', text, (c) => c.notNull())
    .addColumn('image', text, (c) => c.notNull())
    .addColumn('result', text, (c) => c.notNull())
    .addColumn('messages', text, (c) => c.notNull())
    .addColumn('at', text, (c) => c.notNull())
    .execute();
  await s.createIndex('admission_decisions_workspace').on('admission_decisions').columns(['workspace_id', 'at']).execute();
}
