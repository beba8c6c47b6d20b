/** The events notifications subscribe to (notifications.md "Events and their payloads"). */
export const eventKinds = [
  'repo_push', 'build_queued', 'build_start', 'build_success', 'build_failure', 'build_cancelled',
  'vulnerability_found', 'image_deployed',
] as const;
export type EventKind = (typeof eventKinds)[number];
