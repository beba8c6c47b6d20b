import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventKinds } from '../events/event-kinds.js';
import { levelOf, renderPayload, samplePayload, summaryOf } from './event-payloads.js';
import { emailMessage, levelColours, slackMessage, teamsMessageCard } from './message-formats.js';

const url = 'https://tw.example';
const D = `sha256:${'9'.repeat(64)}`;

/** A finding whose scanner-supplied text tries to be markup everywhere it can. */
const hostile = renderPayload('vulnerability_found', {
  repository: 'ghcr.io/acme/web', digest: D, tags: ['latest'], package: '<script>alert("pkg")</script>',
  installed_version: '1.0 & <b>bold</b>', fixed_version: "1.1'\"",
  vulnerability: {
    id: 'CVE-2024-0001<img src=x onerror=alert(1)>', priority: 'Critical', has_fix: true,
    description: '<script>alert(document.cookie)</script>\nsecond line', link: 'javascript:alert(1)',
  },
}, url);

describe('summaryOf and levelOf', () => {
  test('one line per event, led by the repository', () => {
    assert.equal(summaryOf('repo_push', samplePayload('repo_push', url)), 'registry.example.com/acme/web: pushed tag latest');
    assert.equal(summaryOf('repo_push', { docker_url: 'docker.io/acme/web', updated_tags: ['a', 'b'] }), 'docker.io/acme/web: pushed tags a, b');
    assert.equal(summaryOf('vulnerability_found', samplePayload('vulnerability_found', url)),
      'registry.example.com/acme/web: vulnerability CVE-2021-44228 (Critical, fix available) in org.apache.logging.log4j:log4j-core 2.14.1');
    assert.equal(summaryOf('build_failure', samplePayload('build_failure', url)),
      'registry.example.com/acme/web: build 50bc599 failed (refs/heads/main): Could not find or parse Dockerfile: unknown instruction: GIT');
    assert.equal(summaryOf('build_success', samplePayload('build_success', url)),
      'registry.example.com/acme/web: build 50bc599 succeeded (refs/heads/main), tagged main, latest');
    assert.equal(summaryOf('image_deployed', samplePayload('image_deployed', url)),
      'registry.example.com/acme/web: deployed sha256:2a7af5265344 (latest, main) to production as web, open: 1 Critical, 3 High, 7 Medium, 2 Low, 1 Unknown');
    for (const kind of eventKinds) assert.doesNotMatch(summaryOf(kind, samplePayload(kind, url)), /[\r\n]/, kind);
  });

  test('a summary never spans lines and stays short (it is the e-mail subject)', () => {
    const summary = summaryOf('build_failure', { docker_url: 'ghcr.io/a/b', build_name: 'x', error_message: `\n\nstep 3 failed\r\nBcc: x@evil.example${'!'.repeat(500)}` });
    assert.equal(summary.includes('\n') || summary.includes('\r') || summary.includes('Bcc'), false);
    assert.ok(summary.startsWith('ghcr.io/a/b: build x failed: step 3 failed'));
    assert.ok(summary.length <= 240);
    const long = summaryOf('repo_push', { docker_url: 'ghcr.io/a/b', updated_tags: ['a', 'b', 'c', 'd', 'e', 'f', 'g'] });
    assert.equal(long, 'ghcr.io/a/b: pushed tags a, b, c, d, e and 2 more');
  });

  test('levels as Quay gives them, and for image_deployed by what the image brings', () => {
    const levels = Object.fromEntries(eventKinds.map((k) => [k, levelOf(k, samplePayload(k, url))]));
    assert.deepEqual(levels, {
      repo_push: 'primary', build_queued: 'info', build_start: 'info', build_success: 'success', build_failure: 'error',
      build_cancelled: 'info', vulnerability_found: 'error', image_deployed: 'error',
    });
    const vuln = (priority: string) => levelOf('vulnerability_found', { vulnerability: { priority } });
    assert.deepEqual(['Critical', 'High', 'Medium', 'Low', 'Negligible', 'Unknown'].map(vuln), ['error', 'warning', 'warning', 'info', 'info', 'info']);
    assert.equal(levelOf('image_deployed', { vulnerabilities: { Critical: 0, High: 2 } }), 'warning');
    assert.equal(levelOf('image_deployed', {}), 'primary');
  });
});

describe('e-mail', () => {
  test('the HTML escapes every payload value, and drops links that are not http(s)', () => {
    const { subject, text, html } = emailMessage('vulnerability_found', hostile);
    assert.doesNotMatch(html, /<script|<img|<b>|javascript:/i);
    assert.match(html, /&lt;script&gt;alert\(&quot;pkg&quot;\)&lt;\/script&gt;/);
    assert.match(html, /1\.0 &amp; &lt;b&gt;bold&lt;\/b&gt;/);
    assert.match(html, /1\.1&#39;&quot;/);
    assert.match(html, /CVE-2024-0001&lt;img src=x onerror=alert\(1\)&gt;/);
    // The text body is plain text: nothing to escape, and still no javascript: link.
    assert.match(text, /<script>alert\("pkg"\)<\/script>/);
    assert.doesNotMatch(text, /javascript:/);
    assert.doesNotMatch(subject, /[\r\n]/);
  });

  test('subject, facts and links of an event', () => {
    const message = emailMessage('image_deployed', samplePayload('image_deployed', url));
    assert.equal(message.subject, summaryOf('image_deployed', samplePayload('image_deployed', url)));
    assert.match(message.text, /^Environment:\s+production$/m);
    assert.match(message.text, /^Open vulnerabilities:\s+1 Critical, 3 High, 7 Medium, 2 Low, 1 Unknown$/m);
    assert.match(message.text, /^Open repository: https:\/\/tw\.example\/repositories\/registry\.example\.com\/acme\/web$/m);
    assert.match(message.html, /href="https:\/\/tw\.example\/images\/registry\.example\.com\/acme\/web@sha256:2a7af/);
    assert.match(message.html, /href="https:\/\/tw\.example\/environments\/production"/);
  });
});

describe('Slack', () => {
  test('Quay\'s shape: text, attachments with a colour by level and a link to the homepage', () => {
    const payload = samplePayload('build_failure', url);
    const message = slackMessage('build_failure', payload);
    assert.equal(message.text, summaryOf('build_failure', payload));
    assert.equal(message.attachments.length, 1);
    const [attachment] = message.attachments;
    assert.equal(attachment!.color, levelColours.error);
    assert.equal(attachment!.title_link, payload.homepage);
    assert.match(attachment!.text, /<https:\/\/tw\.example\/repositories\/registry\.example\.com\/acme\/web\/build\/[^|]+\|Open build>/);
    assert.deepEqual(attachment!.mrkdwn_in, ['text']);
  });

  test('escapes &, < and > so payload text cannot make links or mentions', () => {
    const message = slackMessage('vulnerability_found', hostile);
    const all = JSON.stringify(message);
    assert.doesNotMatch(all, /<script|<img|<!channel|javascript:/);
    assert.match(message.attachments[0]!.text, /\*Package:\* &lt;script&gt;/);
    const mention = slackMessage('repo_push', { docker_url: 'ghcr.io/a/b', updated_tags: ['<!channel>'], homepage: `${url}/repositories/ghcr.io/a/b` });
    assert.match(mention.text, /&lt;!channel&gt;/);
  });
});

describe('Microsoft Teams', () => {
  test('a MessageCard with themeColor, summary, sections and an OpenUri action to the homepage', () => {
    const payload = samplePayload('vulnerability_found', url);
    const card = teamsMessageCard('vulnerability_found', payload);
    assert.equal(card['@type'], 'MessageCard');
    assert.equal(card['@context'], 'https://schema.org/extensions');
    assert.equal(card.themeColor, 'FF0000');
    assert.equal(card.summary, summaryOf('vulnerability_found', payload));
    assert.equal(card.sections[0]!.markdown, false);
    assert.deepEqual(card.sections[0]!.facts.find((f) => f.name === 'Fixed in'), { name: 'Fixed in', value: '2.15.0' });
    assert.deepEqual(card.potentialAction[0], { '@type': 'OpenUri', name: 'Open repository', targets: [{ os: 'default', uri: payload.homepage }] });
    assert.deepEqual(card.potentialAction.map((a) => a.name), ['Open repository', 'Open image', 'Vulnerability details']);
  });

  test('payload text is escaped in what Teams renders', () => {
    const card = teamsMessageCard('vulnerability_found', hostile);
    const rendered = JSON.stringify([card.title, card.sections]);
    assert.doesNotMatch(rendered, /<script|<img/);
    assert.ok(!card.potentialAction.some((a) => a.targets[0]!.uri.startsWith('javascript:')));
  });
});
