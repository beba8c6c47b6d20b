/*
 * The shapes of the API's answers this interface reads, as GET /api/v1/openapi.json documents them (the TypeBox
 * schemas of src/**-routes.ts). Only the fields the pages use are required here.
 */
export const severities = ['Critical', 'High', 'Medium', 'Low', 'Negligible', 'Unknown'] as const;
export type Severity = (typeof severities)[number];
export type SeverityCounts = Record<Severity, number>;

export interface Exposure {
  by_severity: SeverityCounts;
  fixable: SeverityCounts;
  fixable_total: number;
  distinct_vulnerabilities: number;
  risk_score: number;
  scanned_images: number;
  unscanned_images: number;
}

export type Verdict = 'increasing' | 'decreasing' | 'flat';
export interface TrendDeltas { by_severity: SeverityCounts; fixable: number; distinct_vulnerabilities: number; risk_score: number }
export interface TrendSummary { verdict: Verdict; since: string; deltas: TrendDeltas }
export interface TrendPoint { at: string; by_severity: SeverityCounts; fixable: number; distinct_vulnerabilities: number; risk_score: number }
export interface TrendAnswer {
  environment: string | null;
  since: string;
  bucket: string;
  verdict: Verdict;
  deltas: TrendDeltas;
  start: TrendPoint | null;
  end: TrendPoint | null;
  points: TrendPoint[];
}

export interface EnvironmentSummary {
  name: string;
  instances: number;
  images: number;
  created_at: string;
  last_change_at: string;
  vulnerabilities: Exposure;
  trend: TrendSummary | null;
}

export interface Platform { os: string; architecture: string; variant?: string }

export interface DigestCounts {
  by_severity: SeverityCounts;
  fixable: SeverityCounts;
  total: number;
  fixable_total: number;
  distinct_vulnerabilities: number;
  suppressed: number;
  risk_score: number;
  scanned_at: string;
}

export interface Instance {
  name: string;
  repository: string;
  digest: string;
  image: string;
  tag: string | null;
  tags: string[];
  platform: Platform;
  since: string;
  last_seen_at: string;
  source: string;
  vulnerabilities: DigestCounts | null;
  build: { build_id: string; commit: string | null; build_name: string | null; ref: string | null } | null;
  compared_tag: string | null;
  newest_digest_for_tag: string | null;
  behind: boolean;
  pushed_at: string | null;
}

export interface EnvironmentView {
  name: string;
  created_at: string;
  last_change_at: string;
  vulnerabilities: Exposure;
  trend: TrendSummary | null;
  total: number;
  limit: number;
  offset: number;
  instances: Instance[];
}

export interface HistoryEntry {
  change: 'deployed' | 'undeployed';
  at: string;
  deployment_id: string;
  name: string;
  repository: string;
  digest: string;
  tag: string | null;
  replaced: string | null;
}
export interface HistoryAnswer { environment: string; total: number; next_offset: number | null; entries: HistoryEntry[] }

export interface TokenView {
  id: string;
  name: string;
  role: string;
  repository_glob: string | null;
  prefix: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked: boolean;
  revoked_at: string | null;
  created_at: string;
}

export type BuildPhase = 'queued' | 'started' | 'success' | 'failure' | 'cancelled';
export interface Build {
  build_id: string;
  repository: string;
  phase: BuildPhase;
  build_name: string | null;
  docker_tags: string[];
  trigger_kind: string | null;
  trigger_id: string | null;
  trigger_metadata: Record<string, unknown>;
  is_manual: boolean;
  manual_user: string | null;
  commit: string | null;
  ref: string | null;
  image_id: string | null;
  manifest_digests: string[];
  error_message: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  updated_at: string;
}
export interface BuildList { total: number; limit: number; offset: number; next_offset: number | null; builds: Build[] }

export interface TagHistory {
  repository: string;
  tags: Array<{ name: string; digest: string | null; updated_at: string; history: Array<{ digest: string | null; action: string; source: string; at: string }> }>;
}

export interface RepositoryDeployments {
  repository: string;
  environments: Array<{ environment: string; instances: Array<Omit<Instance, 'repository' | 'tags' | 'last_seen_at' | 'source'>> }>;
  tags: Array<{
    tag: string;
    digest: string | null;
    updated_at: string;
    pushed_at: string | null;
    running_instances: number;
    newest_build: { build_id: string; phase: string; commit: string | null; created_at: string; digests: string[]; pushed_this_digest: boolean } | null;
  }>;
  builds: Array<{
    build_id: string; phase: string; build_name: string | null; docker_tags: string[]; commit: string | null;
    manifest_digests: string[]; created_at: string; finished_at: string | null; running_instances: number;
  }>;
}

export interface HookView { id: string; kind: string; registry_host: string | null; signed: boolean; repository_glob: string | null; created_at: string }
