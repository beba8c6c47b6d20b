/* The chosen method's fields (notifications.md "Methods"): a URL, with a template and headers for a webhook; an address. */
import { FormField } from '../../components/form-field';
import { errorFor } from '../../components/field-error';
import type { Draft } from './notification-draft';

type Change = (patch: Partial<Draft>) => void;

const urlHelp: Record<string, string> = {
  webhook: 'Tidewatch POSTs the event\'s JSON here, signed with the secret shown after creation (Standard Webhooks).',
  slack: 'A Slack incoming-webhook URL (https://hooks.slack.com/services/…).',
  msteams: 'A Microsoft Teams incoming-webhook or workflow URL.',
};

export function MethodFields({ draft, onChange, error }: { draft: Draft; onChange: Change; error: unknown }) {
  const m = draft.method;
  if (m === '') return null;
  if (m === 'email') {
    return (
      <FormField id="n-email" label="E-mail address" error={errorFor(error, 'config.email')} help="Sent through the server's SMTP settings (TIDEWATCH_SMTP_URL).">
        <input type="email" value={draft.email} onChange={(x) => onChange({ email: x.target.value })} required autoComplete="email" />
      </FormField>
    );
  }
  return (
    <>
      <FormField id="n-url" label={m === 'webhook' ? 'Webhook URL' : m === 'slack' ? 'Slack webhook URL' : 'Teams webhook URL'} error={errorFor(error, 'config.url')} help={urlHelp[m]}>
        <input type="url" value={draft.url} onChange={(x) => onChange({ url: x.target.value })} required placeholder="https://" />
      </FormField>
      {m === 'webhook' ? (
        <details>
          <summary>Body template and headers (optional)</summary>
          <FormField id="n-template" label="Body template" error={errorFor(error, 'config.template')}
            help={<>JSON with <code>{'${path}'}</code> placeholders (Quay's template language), e.g. <code>{'{"text": "${repository} pushed ${updated_tags}"}'}</code>. Empty: the event's payload as is.</>}>
            <textarea value={draft.template} onChange={(x) => onChange({ template: x.target.value })} spellCheck={false} />
          </FormField>
          <FormField id="n-headers" label="Headers" error={errorFor(error, 'config.headers')} help="One per line: Name: value. Credentials are masked when the notification is read back.">
            <textarea value={draft.headers} onChange={(x) => onChange({ headers: x.target.value })} spellCheck={false} />
          </FormField>
        </details>
      ) : null}
    </>
  );
}
