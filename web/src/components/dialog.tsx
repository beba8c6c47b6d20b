/*
 * A modal dialog on the native <dialog> element: focus moves into it, Escape closes it, the page behind is inert,
 * and its title labels it.
 */
import { useEffect, useId, useRef, type ReactNode } from 'react';

export function Dialog({ title, open, onClose, children, wide = false }: {
  title: string; open: boolean; onClose: () => void; children: ReactNode; wide?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog ref={ref} aria-labelledby={titleId} className={wide ? 'dialog wide' : 'dialog'} onClose={onClose} onCancel={(e) => { e.preventDefault(); onClose(); }}>
      {open ? (
        <>
          <header className="dialog-header">
            <h2 id={titleId}>{title}</h2>
            <button type="button" className="button-icon" onClick={onClose} aria-label="Close">×</button>
          </header>
          <div className="dialog-body">{children}</div>
        </>
      ) : null}
    </dialog>
  );
}
