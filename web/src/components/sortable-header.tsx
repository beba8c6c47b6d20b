/* A column header that sorts its table: a button inside the <th>, with aria-sort telling the current order. */
import type { ReactNode } from 'react';

export interface SortState<K extends string> { key: K; descending: boolean }

export function SortableHeader<K extends string>({ column, sort, onSort, children, className }: {
  column: K; sort: SortState<K>; onSort: (s: SortState<K>) => void; children: ReactNode; className?: string;
}) {
  const active = sort.key === column;
  return (
    <th scope="col" className={className} aria-sort={active ? (sort.descending ? 'descending' : 'ascending') : 'none'}>
      <button type="button" className="sort" onClick={() => onSort({ key: column, descending: active ? !sort.descending : false })}>
        {children}<span aria-hidden="true">{active ? (sort.descending ? ' ▼' : ' ▲') : ''}</span>
      </button>
    </th>
  );
}
