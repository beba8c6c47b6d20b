/*
 * The messages of the chat and e-mail methods (notifications.md "Methods"), as pure functions of a rendered
 * payload: Slack (Quay's format: text, attachments with a colour by level), a Microsoft Teams MessageCard, and an
 * e-mail with a one-line subject and plain-text and HTML bodies. Every value in a payload may come from a registry, a
 * CI system or a scanner, so each format escapes for its own markup.
 */
import type { EventKind } from '../events/event-kinds.js';
import { levelOf, summaryOf, type MessageLevel } from './event-summary.js';
import type { JsonObject } from './json-values.js';
import { detailsOf, linksOf } from './message-details.js';

export { emailMessage, type EmailMessage } from './email-message.js';

/** Quay's Slack colours by level; Teams gets the same without the '#'. */
export const levelColours: Record<MessageLevel, string> = {
  primary: '#3366ff',
  info: '#ffffff',
  success: '#66ff66',
  warning: '#ffcc00',
  error: '#ff0000',
};

export const eventTitles: Record<EventKind, string> = {
  repo_push: 'Repository push',
  build_queued: 'Build queued',
  build_start: 'Build started',
  build_success: 'Build succeeded',
  build_failure: 'Build failed',
  build_cancelled: 'Build cancelled',
  vulnerability_found: 'Vulnerability found',
  image_deployed: 'Image deployed',
};

export interface SlackMessage {
  text: string;
  username: string;
  attachments: Array<{
    fallback: string;
    color: string;
    title: string;
    title_link?: string;
    text: string;
    mrkdwn_in: string[];
  }>;
}

/** Slack's incoming-webhook message; also what Mattermost and Rocket.Chat accept. */
export function slackMessage(kind: EventKind, payload: JsonObject): SlackMessage {
  const summary = summaryOf(kind, payload);
  const links = linksOf(kind, payload);
  const lines = detailsOf(kind, payload).map((f) => `*${slackEscape(f.name)}:* ${slackEscape(f.value)}`);
  if (links.length > 0) lines.push(links.map((l) => `<${slackUrl(l.url)}|${slackEscape(l.label)}>`).join(' · '));
  const homepage = links[0]?.url;
  return {
    text: slackEscape(summary),
    username: 'Tidewatch',
    attachments: [{
      fallback: slackEscape(summary),
      color: levelColours[levelOf(kind, payload)],
      title: slackEscape(eventTitles[kind]),
      ...(homepage !== undefined ? { title_link: homepage } : {}),
      text: lines.join('\n'),
      mrkdwn_in: ['text'],
    }],
  };
}

export interface TeamsMessageCard {
  '@type': 'MessageCard';
  '@context': 'https://schema.org/extensions';
  themeColor: string;
  summary: string;
  title: string;
  sections: Array<{ activityTitle: string; activitySubtitle: string; facts: Array<{ name: string; value: string }>; markdown: boolean }>;
  potentialAction: Array<{ '@type': 'OpenUri'; name: string; targets: Array<{ os: 'default'; uri: string }> }>;
}

/**
 * An Office 365 connector MessageCard: Teams incoming webhooks take it, and Power Automate's "post to a channel when
 * a webhook request is received" workflow renders it too. Markdown is off for the facts so a package or tag name
 * cannot format the card; Teams still reads HTML in text fields, hence teamsEscape.
 */
export function teamsMessageCard(kind: EventKind, payload: JsonObject): TeamsMessageCard {
  const summary = summaryOf(kind, payload);
  return {
    '@type': 'MessageCard',
    '@context': 'https://schema.org/extensions',
    themeColor: levelColours[levelOf(kind, payload)].slice(1).toUpperCase(),
    // The notification preview is plain text: no escaping there.
    summary,
    title: teamsEscape(summary),
    sections: [{
      activityTitle: teamsEscape(eventTitles[kind]),
      activitySubtitle: teamsEscape(typeof payload.docker_url === 'string' ? payload.docker_url : ''),
      facts: detailsOf(kind, payload).map((f) => ({ name: teamsEscape(f.name), value: teamsEscape(f.value) })),
      markdown: false,
    }],
    potentialAction: linksOf(kind, payload).map((l) => ({
      '@type': 'OpenUri' as const,
      name: l.label,
      targets: [{ os: 'default' as const, uri: l.url }],
    })),
  };
}

/** Slack's mrkdwn reserves exactly these three (api.slack.com "Escaping text"). */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Inside <url|label>, '|' and '>' would end the URL early. */
function slackUrl(url: string): string {
  return url.replace(/\|/g, '%7C').replace(/>/g, '%3E').replace(/</g, '%3C');
}

function teamsEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
