/*
 * Client-side paging for the long tables of /compare and /vulnerabilities/{id} (ui.md "Long lists are paginated or
 * virtualised"). Their API answers carry every row and take no limit/offset, so the rows are sliced here and shown
 * with the shared Pager, as the environment's instances are. The page and page size live in the address
 * (`?{name}_page=3&{name}_size=500`) so a reload or a shared link opens the same page.
 */
import { setQueryParam, useLocation } from '../router';

export const pageSizes = [50, 100, 500];
const defaultSize = 100;

export interface AddressPaging {
  offset: number;
  limit: number;
  /** For Pager's onChange. */
  onChange: (offset: number, limit: number) => void;
  /** Back to the first page (a filter changed). */
  reset: () => void;
}

export function useAddressPaging(name: string, total: number): AddressPaging {
  const { search } = useLocation();
  const size = Number(search.get(`${name}_size`));
  const limit = pageSizes.includes(size) ? size : defaultSize;
  const asked = Math.floor(Number(search.get(`${name}_page`))) || 1;
  // A stale link, or a filter that shrank the list, lands on the last page that exists rather than on nothing.
  const lastPage = Math.max(1, Math.ceil(total / limit));
  const offset = (Math.min(Math.max(1, asked), lastPage) - 1) * limit;
  return {
    offset,
    limit,
    onChange: (o, l) => {
      setQueryParam(`${name}_size`, l === defaultSize ? null : String(l));
      setQueryParam(`${name}_page`, o === 0 ? null : String(Math.floor(o / l) + 1));
    },
    reset: () => resetPages(name),
  };
}

/** Back to the first page of each named list (one filter over several lists changed). */
export function resetPages(...names: string[]): void {
  for (const name of names) setQueryParam(`${name}_page`, null);
}
