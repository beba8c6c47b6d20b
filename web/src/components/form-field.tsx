/* A labelled form control with its help text and, when the API refused it, the API's message beside it. */
import { cloneElement, type ReactElement } from 'react';
import { invalidProps } from './field-error';

export function FormField({ id, label, help, error, children }: {
  id: string; label: string; help?: React.ReactNode; error?: string | undefined; children: ReactElement<Record<string, unknown>>;
}) {
  const described = [help ? `${id}-help` : null, error ? `${id}-error` : null].filter(Boolean).join(' ') || undefined;
  const control = cloneElement(children, { id, ...invalidProps(error, id), 'aria-describedby': described });
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {control}
      {help ? <span id={`${id}-help`} className="help">{help}</span> : null}
      {error ? <span id={`${id}-error`} className="field-error">{error}</span> : null}
    </div>
  );
}
