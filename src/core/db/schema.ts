import type { Generated } from 'kysely';

/*
 * The whole domain of spec/concepts.md, as Kysely sees it. Conventions, the same on both engines so that one query
 * module serves both:
 * - times are ISO-8601 UTC text (`Date#toISOString`), which sorts and compares correctly as text;
 * - flags are integers 0/1 and JSON documents are text, because SQLite has neither booleans nor JSON types;
 * - public ids are UUID text; append-only logs use integer ids for cheap ordering.
 */

export interface WorkspaceTable {
  id: string;
  name: string;
  created_at: string;
}

export interface TokenTable {
  id: string;
  workspace_id: string;
  name: string;
  role: 'read' | 'write' | 'admin';
  /** Repository glob the token is limited to; null = every repository. */
  repo_glob: string | null;
  /** First characters of the token, shown in listings so users can tell tokens apart. */
  prefix: string;
  /** SHA-256 (hex) of the whole token; the token itself is never stored. */
  hash: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
  created_at: string;
}

export interface RepositoryTable {
  id: string;
  workspace_id: string;
  /** Canonical `host/path` (docker.io/library/nginx). */
  name: string;
  created_at: string;
}

export interface ImageTable {
  id: string;
  workspace_id: string;
  repository_id: string;
  digest: string;
  media_type: string | null;
  /** 1 when the manifest is an image index (multi-arch) whose children are in image_children. */
  is_index: number;
  os: string | null;
  architecture: string | null;
  variant: string | null;
  first_seen_at: string;
  /** Set when the registry reported the manifest deleted; the row stays as history. */
  deleted_at: string | null;
}

export interface ImageChildTable {
  id: Generated<number>;
  image_id: string;
  child_digest: string;
  os: string | null;
  architecture: string | null;
  variant: string | null;
}

export interface TagTable {
  id: string;
  workspace_id: string;
  repository_id: string;
  name: string;
  /** Digest the tag points at now; null after a delete or when the source sent no digest (Docker Hub). */
  digest: string | null;
  updated_at: string;
}

export interface TagHistoryTable {
  id: Generated<number>;
  tag_id: string;
  digest: string | null;
  /** 'push' | 'delete' */
  action: string;
  source: string;
  at: string;
}

export interface BuildTable {
  id: string;
  workspace_id: string;
  repository_id: string;
  /** queued → started → success | failure | cancelled; queued → cancelled. */
  phase: string;
  build_name: string | null;
  docker_tags: string;
  trigger_kind: string | null;
  trigger_id: string | null;
  trigger_metadata: string | null;
  is_manual: number;
  manual_user: string | null;
  image_id: string | null;
  manifest_digests: string;
  error_message: string | null;
  commit_sha: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  updated_at: string;
}

export interface BuildImageTable {
  build_id: string;
  workspace_id: string;
  digest: string;
}

export interface ScanTable {
  id: string;
  workspace_id: string;
  digest: string;
  format: string;
  scanner_name: string | null;
  scanner_version: string | null;
  findings_count: number;
  /** 1 for the newest scan of the digest (its current state); earlier scans are history. */
  is_current: number;
  /**
   * JSON ScanSummary: open, unsuppressed findings by severity with fixable counts and distinct vulnerability ids —
   * kept with the scan so views never count findings rows; recomputed when triage changes.
   */
  summary: string;
  /** JSON array of warnings given with the answer (e.g. digests the report named besides ?image=). */
  warnings: string | null;
  created_at: string;
  /** 1 once its vulnerabilities are in vulnerability_scans (written after the scan commits; migration 003). */
  vulnerabilities_indexed: Generated<number>;
}

/** Which scans hold which vulnerability: one row per (vulnerability, scan), the incident question's index. */
export interface VulnerabilityScanTable {
  workspace_id: string;
  vulnerability_id: string;
  scan_id: string;
}

export interface FindingTable {
  id: Generated<number>;
  scan_id: string;
  workspace_id: string;
  digest: string;
  vulnerability_id: string;
  package: string;
  installed_version: string | null;
  /** Where the scanner found the package (path, target), so one package at two paths stays two findings. */
  location: string | null;
  fixed_version: string | null;
  /** 'fixed' | 'not_fixed' | 'wont_fix' | 'unknown' */
  fix_state: string;
  /** Critical | High | Medium | Low | Negligible | Unknown (Quay's names). */
  severity: string;
  cvss: number | null;
  link: string | null;
  /** Only in rows written before migration 004; newer rows name their text in description_hash. */
  description: string | null;
  /** descriptions.hash of the finding's description, if it has one. */
  description_hash: string | null;
}

/** A finding's description, stored once whatever number of findings share it (migration 004). */
export interface DescriptionTable {
  /** SHA-256 of the text, base64url. */
  hash: string;
  text: string;
}

export interface TriageTable {
  id: string;
  workspace_id: string;
  vulnerability_id: string;
  /** null = the whole workspace */
  repository_id: string | null;
  /** null = every package */
  package: string | null;
  state: string;
  justification: string | null;
  detail: string | null;
  token_id: string | null;
  created_at: string;
}

export interface EnvironmentTable {
  id: string;
  workspace_id: string;
  name: string;
  created_at: string;
}

export interface DeploymentTable {
  id: string;
  workspace_id: string;
  environment_id: string;
  /** `image.name` if given, else the repository: the instance key within the environment. */
  instance_name: string;
  repository_id: string;
  digest: string;
  tag: string | null;
  os: string;
  architecture: string;
  variant: string | null;
  deployed_at: string;
  /** Refreshed by idempotent repeats, so operators see the instance is still reported. */
  last_seen_at: string;
  /** Set when another digest replaced this one or the instance was undeployed; null while it runs. */
  undeployed_at: string | null;
  replaced_digest: string | null;
  /** 'api' | 'cli' | 'admission' … */
  source: string;
}

export interface EventTable {
  id: Generated<number>;
  uuid: string;
  workspace_id: string;
  repository_id: string | null;
  kind: string;
  /** The event's own fields as JSON; the Quay payload is rendered from them at delivery time. */
  data: string;
  /** Identity of the source event (registry event id, …) so redelivered hooks are stored once; null when none. */
  dedupe_key: string | null;
  created_at: string;
}

export interface NotificationTable {
  id: string;
  workspace_id: string;
  repository_id: string;
  title: string | null;
  event: string;
  method: string;
  config: string;
  event_config: string;
  /** AES-256-GCM ciphertext of the signing secret / SMTP password, with its key id. */
  secret_enc: string | null;
  enabled: number;
  number_of_failures: number;
  created_at: string;
  /**
   * Set by DELETE: the row stays (disabled) so deliveries written by a concurrent fan-out still have their
   * notification, and the delivery log keeps its rows; the API treats it as gone.
   */
  deleted_at: string | null;
}

export interface DeliveryTable {
  id: string;
  workspace_id: string;
  notification_id: string;
  event_id: number;
  /** pending | delivering | succeeded | failed | skipped */
  status: string;
  attempts: number;
  next_attempt_at: string;
  /** A claim by a worker expires at this time, so work of a dead process is taken over. */
  lease_until: string | null;
  lease_owner: string | null;
  created_at: string;
  completed_at: string | null;
}

export interface DeliveryAttemptTable {
  id: Generated<number>;
  delivery_id: string;
  at: string;
  status_code: number | null;
  error: string | null;
  latency_ms: number;
  response_excerpt: string | null;
}

export interface TrendPointTable {
  id: Generated<number>;
  workspace_id: string;
  /** null = the workspace as a whole */
  environment_id: string | null;
  at: string;
  critical: number;
  high: number;
  medium: number;
  low: number;
  negligible: number;
  unknown: number;
  fixable: number;
  distinct_vulnerabilities: number;
  risk_score: number;
}

export interface AuditLogTable {
  id: Generated<number>;
  workspace_id: string;
  token_id: string | null;
  action: string;
  target: string;
  detail: string | null;
  at: string;
}

export interface IngestReceiptTable {
  workspace_id: string;
  /** distribution | harbor | dockerhub | quay | github | pushes */
  source: string;
  source_id: string;
  received_at: string;
}

export interface HookEndpointTable {
  id: string;
  workspace_id: string;
  /** distribution | harbor | dockerhub | quay | github */
  kind: string;
  /** SHA-256 of the URL secret, for sources that cannot send a header. */
  secret_hash: string | null;
  config: string;
  created_at: string;
}

export interface ClusterTable {
  id: string;
  workspace_id: string;
  name: string;
  secret_hash: string;
  fail_closed: number;
  created_at: string;
}

export interface PolicyTable {
  id: string;
  workspace_id: string;
  name: string;
  environments: string;
  mode: string;
  rules: string;
  created_at: string;
  updated_at: string;
}

export interface AdmissionDecisionTable {
  id: Generated<number>;
  workspace_id: string;
  cluster_id: string;
  environment: string;
  image: string;
  result: string;
  messages: string;
  at: string;
}

/** A live Pod's container as an admission webhook saw it (admission.md "What gets recorded"; migration 002). */
export interface AdmissionPodTable {
  workspace_id: string;
  cluster_id: string;
  namespace: string;
  /** Unique within a namespace while the Pod lives; a Pod re-created under the same name has a new uid. */
  pod_name: string;
  container: string;
  /** null when the review did not carry one. */
  pod_uid: string | null;
  /** `<cluster>/<namespace>`, as recorded. */
  environment: string;
  /** The Pod's controller (a ReplicaSet counted as its Deployment) or its own name. */
  workload: string;
  /** `<workload>/<container>`: the deployment's instance key. */
  instance_name: string;
  repository: string;
  tag: string | null;
  /** null until known (a tag never seen pushed, before the kubelet's status update). */
  digest: string | null;
  /** 'status' (kubelet imageID) | 'reference' (pinned) | 'tag' (tag history); null while the digest is unknown. */
  resolved_from: string | null;
  created_at: string;
  updated_at: string;
}

export interface Database {
  workspaces: WorkspaceTable;
  tokens: TokenTable;
  repositories: RepositoryTable;
  images: ImageTable;
  image_children: ImageChildTable;
  tags: TagTable;
  tag_history: TagHistoryTable;
  builds: BuildTable;
  build_images: BuildImageTable;
  scans: ScanTable;
  findings: FindingTable;
  descriptions: DescriptionTable;
  vulnerability_scans: VulnerabilityScanTable;
  triage: TriageTable;
  environments: EnvironmentTable;
  deployments: DeploymentTable;
  events: EventTable;
  notifications: NotificationTable;
  deliveries: DeliveryTable;
  delivery_attempts: DeliveryAttemptTable;
  trend_points: TrendPointTable;
  audit_log: AuditLogTable;
  ingest_receipts: IngestReceiptTable;
  hook_endpoints: HookEndpointTable;
  clusters: ClusterTable;
  policies: PolicyTable;
  admission_decisions: AdmissionDecisionTable;
  admission_pods: AdmissionPodTable;
}
