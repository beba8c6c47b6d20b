import { useEffect, useState } from 'react';
import { applyTheme, effectiveTheme, type Theme } from '../theme';

/** Switches between light and dark; starts from the system's preference. */
export function ThemeToggle() {
  const [theme, setTheme] = useState<Theme>(effectiveTheme);
  useEffect(() => {
    const update = () => setTheme(effectiveTheme());
    window.addEventListener('tidewatch:theme', update);
    const media = window.matchMedia?.('(prefers-color-scheme: dark)');
    media?.addEventListener('change', update);
    return () => {
      window.removeEventListener('tidewatch:theme', update);
      media?.removeEventListener('change', update);
    };
  }, []);
  const next: Theme = theme === 'dark' ? 'light' : 'dark';
  return (
    <button type="button" className="button-small" onClick={() => applyTheme(next)} aria-label={`Switch to ${next} theme`} title={`Switch to ${next} theme`}>
      {theme === 'dark' ? '☀ Light' : '☾ Dark'}
    </button>
  );
}
