import { useEffect } from 'react';

/** The browser tab's title: the page, then the product. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Tidewatch`;
  }, [title]);
}
