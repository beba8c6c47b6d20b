/*
 * The e-mail method's message (notifications.md: subject = one-line summary, HTML + plain-text body). The HTML is one
 * self-contained table with inline styles, since mail clients drop <style> and never load remote CSS.
 */
import type { EventKind } from '../events/event-kinds.js';
import { levelOf, summaryOf } from './event-summary.js';
import type { JsonObject } from './json-values.js';
import { detailsOf, linksOf } from './message-details.js';

export interface EmailMessage {
  /** One line: summaryOf strips CR/LF, so it cannot inject headers. */
  subject: string;
  text: string;
  html: string;
}

const accent: Record<ReturnType<typeof levelOf>, string> = {
  primary: '#3366ff',
  info: '#8a8f98',
  success: '#2e9d4a',
  warning: '#d99a00',
  error: '#d32f2f',
};

export function emailMessage(kind: EventKind, payload: JsonObject): EmailMessage {
  const subject = summaryOf(kind, payload);
  const facts = detailsOf(kind, payload);
  const links = linksOf(kind, payload);
  const width = Math.max(0, ...facts.map((f) => f.name.length));
  const text = [
    subject,
    '',
    ...facts.map((f) => `${`${f.name}:`.padEnd(width + 1)} ${f.value}`),
    ...(links.length > 0 ? ['', ...links.map((l) => `${l.label}: ${l.url}`)] : []),
    '',
    '-- ',
    'Sent by Tidewatch for a repository notification.',
  ].join('\n');
  const rows = facts.map((f) => `<tr><th style="text-align:left;padding:4px 12px 4px 0;vertical-align:top;color:#555">${escapeHtml(f.name)}</th>`
    + `<td style="padding:4px 0;white-space:pre-wrap;word-break:break-word">${escapeHtml(f.value)}</td></tr>`);
  const buttons = links.map((l) => `<a href="${escapeHtml(l.url)}" style="display:inline-block;margin:0 8px 8px 0;padding:6px 12px;`
    + `border:1px solid #ccc;border-radius:4px;color:#1a4fd6;text-decoration:none">${escapeHtml(l.label)}</a>`);
  const html = [
    '<!DOCTYPE html>',
    `<html><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>`,
    '<body style="font-family:system-ui,-apple-system,Segoe UI,sans-serif;font-size:14px;color:#1d1f23">',
    `<div style="border-left:4px solid ${accent[levelOf(kind, payload)]};padding:8px 16px">`,
    `<h1 style="font-size:16px;margin:0 0 12px">${escapeHtml(subject)}</h1>`,
    `<table style="border-collapse:collapse">${rows.join('')}</table>`,
    buttons.length > 0 ? `<p style="margin:16px 0 0">${buttons.join('')}</p>` : '',
    '</div>',
    '<p style="color:#777;font-size:12px">Sent by Tidewatch for a repository notification.</p>',
    '</body></html>',
  ].join('\n');
  return { subject, text, html };
}

/** Escapes for text and double- or single-quoted attribute values alike. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
