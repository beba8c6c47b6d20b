/*
 * Light and dark: the system's preference (prefers-color-scheme) unless the user picked one with the toggle, which is
 * remembered in localStorage (a display preference, not a secret). styles/app.css reads html[data-theme].
 */
export type Theme = 'light' | 'dark';
const key = 'tidewatch.theme';

export function storedTheme(): Theme | null {
  try {
    const t = localStorage.getItem(key);
    return t === 'light' || t === 'dark' ? t : null;
  } catch {
    return null;
  }
}

export function effectiveTheme(): Theme {
  return storedTheme() ?? (window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light');
}

export function applyTheme(theme: Theme | null): void {
  if (theme) {
    document.documentElement.dataset.theme = theme;
    try { localStorage.setItem(key, theme); } catch { /* private mode: the choice lasts this page only */ }
  } else {
    delete document.documentElement.dataset.theme;
  }
  window.dispatchEvent(new Event('tidewatch:theme'));
}
