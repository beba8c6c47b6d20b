/* A snippet to paste elsewhere (a curl call, a config.yml, a secret shown once) with a Copy button. */
import { useState } from 'react';

export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // No clipboard permission (plain http on another host): select the text so Ctrl+C works.
    return false;
  }
}

export function CopyBlock({ text, label, id }: { text: string; label: string; id?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'select'>('idle');
  const onCopy = async () => {
    const ok = await copyText(text);
    setState(ok ? 'copied' : 'select');
    if (!ok && id) {
      const el = document.getElementById(id);
      if (el) window.getSelection()?.selectAllChildren(el);
    }
  };
  return (
    <div className="copy-block">
      <pre tabIndex={0} aria-label={label}><code id={id}>{text}</code></pre>
      <button type="button" className="button-small" onClick={onCopy} aria-label={`${state === 'copied' ? 'Copied' : 'Copy'} ${label}`}>
        {state === 'copied' ? 'Copied' : state === 'select' ? 'Selected: press Ctrl+C' : 'Copy'}
      </button>
    </div>
  );
}
