/*
 * The e-mail method's transport (notifications.md "Methods": sent through the server's SMTP settings,
 * TIDEWATCH_SMTP_URL). The SMTP server is the operator's own, so the outbound guard does not apply to it; its
 * credentials live in the environment and never in the database or an API answer.
 */
import { createTransport } from 'nodemailer';
import type { EmailMessage } from '../notifications/email-message.js';

export interface EmailSender {
  /** Resolves with the server's final answer ("250 OK …"); rejects with the reason otherwise. */
  send(to: string, message: EmailMessage): Promise<string>;
  close(): void;
}

export function smtpSender(url: string, from: string, timeoutMs: number): EmailSender {
  const transport = createTransport({
    url,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  return {
    async send(to, message) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`SMTP delivery timed out after ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        const info = await Promise.race([
          transport.sendMail({ from, to, subject: message.subject, text: message.text, html: message.html }),
          timeout,
        ]);
        return String((info as { response?: unknown }).response ?? 'accepted');
      } finally {
        clearTimeout(timer);
      }
    },
    close: () => transport.close(),
  };
}

/** TIDEWATCH_SMTP_FROM, else tidewatch@ the public URL's host. */
export function defaultFrom(publicUrl: string): string {
  let host = 'localhost';
  try {
    host = new URL(publicUrl).hostname.replace(/^\[|\]$/g, '') || host;
  } catch { /* keep localhost */ }
  return `Tidewatch <tidewatch@${host.includes(':') ? 'localhost' : host}>`;
}
