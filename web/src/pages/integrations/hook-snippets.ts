/*
 * What to paste into each registry so it tells Tidewatch about pushes (ingest.md "Registry pushes"; README
 * "Pushes, builds and scan reports"). Registries that can send a header use a write token; Docker Hub, Quay and
 * GitHub use a secret URL made on this page (shown once).
 */
export type HookKind = 'distribution' | 'harbor' | 'dockerhub' | 'quay' | 'github';

export interface HookGuide {
  kind: HookKind;
  title: string;
  /** The URL to configure: the token kind's fixed path, or the secret URL once created. */
  url: (origin: string, secretUrl?: string) => string;
  usesSecretUrl: boolean;
  snippet: (url: string) => string;
  steps: string;
}

export const hookGuides: HookGuide[] = [
  {
    kind: 'distribution',
    title: 'Docker Registry / Distribution',
    url: (origin) => `${origin}/api/v1/hooks/distribution`,
    usesSecretUrl: false,
    steps: 'Add the endpoint to the registry\'s config.yml and restart it. The token needs role write.',
    snippet: (url) => [
      'notifications:',
      '  endpoints:',
      '    - name: tidewatch',
      `      url: ${url}`,
      '      headers: { Authorization: [Bearer tw_…] }',
      '      timeout: 2s',
      '      threshold: 5',
      '      backoff: 10s',
    ].join('\n'),
  },
  {
    kind: 'harbor',
    title: 'Harbor',
    url: (origin) => `${origin}/api/v1/hooks/harbor`,
    usesSecretUrl: false,
    steps: 'Project → Webhooks → New webhook: notify type http, event types Artifact pushed, Artifact deleted and Scanning finished, payload format Default or CloudEvents.',
    snippet: (url) => [`Endpoint URL:  ${url}`, 'Auth header:   Bearer tw_…', 'Verify remote certificate: on'].join('\n'),
  },
  {
    kind: 'dockerhub',
    title: 'Docker Hub',
    url: (origin, secretUrl) => secretUrl ?? `${origin}/api/v1/hooks/dockerhub/<secret>`,
    usesSecretUrl: true,
    steps: 'Repository → Webhooks: a name and the secret URL below (Docker Hub cannot send a token).',
    snippet: (url) => [`Webhook name:  tidewatch`, `Webhook URL:   ${url}`].join('\n'),
  },
  {
    kind: 'quay',
    title: 'Quay',
    url: (origin, secretUrl) => secretUrl ?? `${origin}/api/v1/hooks/quay/<secret>`,
    usesSecretUrl: true,
    steps: 'Repository → Settings → Create Notification: When this event occurs "Push to Repository", Then issue a notification "Webhook POST".',
    snippet: (url) => [`Webhook URL:   ${url}`, 'POST JSON body template: (leave empty)'].join('\n'),
  },
  {
    kind: 'github',
    title: 'GitHub Packages (ghcr.io)',
    url: (origin, secretUrl) => secretUrl ?? `${origin}/api/v1/hooks/github/<secret>`,
    usesSecretUrl: true,
    steps: 'Organization or repository → Settings → Webhooks → Add webhook: content type application/json, events "Packages" and "Registry packages"; a signing secret makes Tidewatch check X-Hub-Signature-256.',
    snippet: (url) => [`Payload URL:   ${url}`, 'Content type:  application/json', 'Secret:        (the signing secret given when the URL was made, if any)', 'Events:        Packages, Registry packages'].join('\n'),
  },
];
