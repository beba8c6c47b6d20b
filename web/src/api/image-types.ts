/* Answers of the image, vulnerability, compare and triage endpoints (see api/types.ts). */
import type { DigestCounts, Platform, SeverityCounts } from './types';

export interface TriageDecision {
  id: string;
  vulnerability: string;
  state: string;
  justification: string | null;
  detail: string | null;
  repository: string | null;
  package: string | null;
  suppressed?: boolean;
  created_at: string;
}

export interface Finding {
  vulnerability_id: string;
  package: string;
  installed_version: string | null;
  fixed_version: string | null;
  fix_state: string;
  severity: string;
  cvss: number | null;
  location: string | null;
  link: string | null;
  description: string | null;
  triage: TriageDecision | null;
  suppressed: boolean;
}

export interface ImageView {
  repository: string;
  digest: string;
  image: string;
  media_type: string | null;
  is_index: boolean;
  first_seen_at: string | null;
  deleted_at: string | null;
  tags: Array<{ name: string; updated_at: string }>;
  former_tags: Array<{ name: string; digest_now: string | null; updated_at: string; pointed_at: string }>;
  platforms: Array<{ digest: string; os: string | null; architecture: string | null; variant: string | null }>;
  indexes: Array<{ digest: string; os: string | null; architecture: string | null; variant: string | null }>;
  builds: Array<{
    build_id: string; repository: string; phase: string; build_name: string | null; commit: string | null; ref: string | null;
    docker_tags: string[]; trigger_kind: string | null; created_at: string; finished_at: string | null;
  }>;
  deployments: {
    running: Array<{ environment: string; name: string; tag: string | null; platform: Platform; since: string; last_seen_at: string; source: string }>;
    previous: Array<{ environment: string; name: string; tag: string | null; platform: Platform; from: string; until: string; replaced_by: string | null }>;
    previous_total: number;
  };
  scan: {
    scan_id: string; format: string; scanner: { name: string | null; version: string | null }; scanned_at: string;
    findings_count: number; vulnerabilities: DigestCounts;
  } | null;
  findings: { total: number; limit: number; offset: number; next_offset: number | null; items: Finding[] };
}

export type WhereFinding = Omit<Finding, 'vulnerability_id' | 'cvss' | 'link' | 'description'>;
export interface VulnerabilityView {
  vulnerability_id: string;
  severity: string | null;
  cvss: number | null;
  link: string | null;
  description: string | null;
  fixed_versions: string[];
  summary: { environments: number; instances: number; running_digests: number; open_instances: number; images_not_running: number };
  environments: Array<{
    environment: string;
    instances: Array<{ name: string; repository: string; digest: string; tag: string | null; since: string; findings: WhereFinding[] }>;
  }>;
  not_running: Array<{ repository: string | null; digest: string; scanned_at: string; findings: WhereFinding[] }>;
}

export interface CompareSide {
  given: string; kind: 'env' | 'image'; environment: string | null; repository: string | null; digest: string | null;
  images: number; scanned_images: number; unscanned_images: number; unscanned: string[];
  status: 'scanned' | 'partially_scanned' | 'unscanned' | 'empty'; suppressed: number;
}
export interface CompareUnit { repository: string; digest: string; tag: string | null; scanned: boolean }
export interface CompareVulnerability { vulnerability_id: string; package: string; severity: string; fixable: boolean; fixed_version: string | null }
export interface CompareCounts { by_severity: SeverityCounts; fixable: SeverityCounts; total: number; fixable_total: number }
export interface CompareAnswer {
  base: CompareSide;
  head: CompareSide;
  instances: Array<{ name: string; change: 'added' | 'removed' | 'changed' | 'unchanged'; base: CompareUnit | null; head: CompareUnit | null }>;
  instances_unchanged: number;
  vulnerabilities: { added: CompareVulnerability[]; removed: CompareVulnerability[]; unchanged: CompareVulnerability[] };
  counts: { added: CompareCounts; removed: CompareCounts; unchanged: CompareCounts };
}
