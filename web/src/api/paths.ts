/*
 * Addresses: the API's (under /api/v1) and the interface's own pages (ui.md "Pages and their addresses"), built the
 * way the server's payloads build their `homepage` links (src/notifications/quay-repository.ts): repository names
 * keep their slashes, each segment percent-encoded but ':' kept; environment names are one encoded segment.
 */
const segment = (s: string): string => encodeURIComponent(s).replace(/%3A/gi, ':');
export const repositoryPath = (repository: string): string => repository.split('/').map(segment).join('/');
const env = (name: string) => encodeURIComponent(name);
const query = (q: Record<string, string | number | undefined | null>): string => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
};

const v1 = '/api/v1';
export const apiPaths = {
  whoami: () => `${v1}/whoami`,
  environments: () => `${v1}/environments`,
  environment: (name: string, q: { limit?: number; offset?: number } = {}) => `${v1}/environments/${env(name)}${query(q)}`,
  history: (name: string, q: { limit?: number; offset?: number } = {}) => `${v1}/environments/${env(name)}/history${query(q)}`,
  environmentTrend: (name: string, q: { since?: string; bucket?: string } = {}) => `${v1}/environments/${env(name)}/trend${query(q)}`,
  trend: (q: { since?: string; bucket?: string } = {}) => `${v1}/trend${query(q)}`,
  repositoryTags: (repo: string) => `${v1}/repositories/${repositoryPath(repo)}/tags`,
  repositoryDeployments: (repo: string) => `${v1}/repositories/${repositoryPath(repo)}/deployments`,
  notifications: (repo: string) => `${v1}/repositories/${repositoryPath(repo)}/notifications`,
  notification: (repo: string, uuid: string) => `${v1}/repositories/${repositoryPath(repo)}/notifications/${segment(uuid)}`,
  deliveries: (repo: string, uuid: string, q: { limit?: number; offset?: number } = {}) =>
    `${v1}/repositories/${repositoryPath(repo)}/notifications/${segment(uuid)}/deliveries${query(q)}`,
  redeliver: (repo: string, uuid: string, id: string) =>
    `${v1}/repositories/${repositoryPath(repo)}/notifications/${segment(uuid)}/deliveries/${segment(id)}/redeliver`,
  builds: (q: { repository?: string; limit?: number; offset?: number } = {}) => `${v1}/builds${query(q)}`,
  build: (id: string) => `${v1}/builds/${segment(id)}`,
  image: (repo: string, digest: string, q: Record<string, string | number | undefined> = {}) =>
    `${v1}/images/${repositoryPath(repo)}@${segment(digest)}${query(q)}`,
  vulnerability: (id: string) => `${v1}/vulnerabilities/${segment(id)}`,
  compare: (base: string, head: string) => `${v1}/compare${query({ base, head })}`,
  triage: (q: { vulnerability?: string; repository?: string } = {}) => `${v1}/triage${query(q)}`,
  triageDecision: (id: string) => `${v1}/triage/${segment(id)}`,
  tokens: () => `${v1}/tokens`,
  token: (id: string) => `${v1}/tokens/${segment(id)}`,
  hooks: () => `${v1}/hooks`,
  hook: (id: string) => `${v1}/hooks/${segment(id)}`,
  policies: () => `${v1}/policies`,
  policy: (name: string) => `${v1}/policies/${segment(name)}`,
  policyCheck: (image: string, environment: string) => `${v1}/policies/check${query({ image, environment })}`,
  clusters: () => `${v1}/clusters`,
  cluster: (name: string) => `${v1}/clusters/${segment(name)}`,
  clusterRotate: (name: string) => `${v1}/clusters/${segment(name)}/rotate`,
  admissionDecisions: (q: { limit?: number; environment?: string; result?: string; cursor?: string } = {}) => `${v1}/admission/decisions${query(q)}`,
};

export const pages = {
  overview: () => '/',
  signin: (next?: string) => `/signin${query({ next })}`,
  environment: (name: string) => `/environments/${env(name)}`,
  repository: (repo: string, tab?: string) => `/repositories/${repositoryPath(repo)}${query({ tab })}`,
  build: (repo: string, id: string) => `/repositories/${repositoryPath(repo)}/build/${segment(id)}`,
  image: (repo: string, digest: string) => `/images/${repositoryPath(repo)}@${segment(digest)}`,
  compare: (base?: string, head?: string) => `/compare${query({ base, head })}`,
  vulnerability: (id: string) => `/vulnerabilities/${segment(id)}`,
  policies: () => '/policies',
  clusters: () => '/clusters',
  integrations: () => '/integrations',
  tokens: () => '/settings/tokens',
};

export const shortDigest = (digest: string): string => digest.replace(/^sha256:/, '').slice(0, 12);
