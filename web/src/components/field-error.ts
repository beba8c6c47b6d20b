/*
 * Which form field an API error concerns: the API names it (`config.url`, `eventConfig.tags`, `expires_in`), so the
 * form can mark that control (aria-invalid) and say the message beside it.
 */
import { ApiError } from '../api/client';

export function errorFor(error: unknown, ...fields: string[]): string | undefined {
  if (!(error instanceof ApiError) || !error.field) return undefined;
  return fields.some((f) => error.field === f || error.field!.startsWith(`${f}.`) || error.field!.startsWith(`${f}[`)) ? error.message : undefined;
}

/** Props for an input whose field may be the one in error, and the id of its message. */
export function invalidProps(message: string | undefined, id: string): { 'aria-invalid'?: true; 'aria-describedby'?: string } {
  return message ? { 'aria-invalid': true, 'aria-describedby': `${id}-error` } : {};
}

/** A comma- or newline-separated list as the API wants it; an empty text is "not set". */
export const listOf = (text: string): string[] | undefined => {
  const items = text.split(/[,\n]/).map((s) => s.trim()).filter(Boolean);
  return items.length > 0 ? items : undefined;
};
