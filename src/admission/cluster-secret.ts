/*
 * Cluster webhook secrets (admission.md "Clusters"): the Kubernetes API server sends no bearer token, so the secret is
 * part of the webhook URL, `/api/v1/admission/<secret>`. Shown once, stored only as its SHA-256, like tokens and hook
 * endpoint secrets (src/registry/hook-secret.ts).
 */
import { createHash, randomBytes } from 'node:crypto';

/** 32 random bytes, base64url: only URL path characters, so it sits in the webhook URL unescaped. */
export function newClusterSecret(): string {
  return `twk_${randomBytes(32).toString('base64url')}`;
}

export function hashClusterSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** The webhook path of a secret; the review endpoint answers there without a token. */
export const webhookPath = (secret: string) => `/api/v1/admission/${secret}`;
