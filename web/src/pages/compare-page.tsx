/*
 * `/compare` (ui.md): pick a base and a head — an image pinned by digest or env:NAME — and see the difference by
 * repository (instances added, removed, changed) and by vulnerability (added, removed, unchanged), as the API gives
 * it, each list a page at a time (compare-instances.tsx, compare-vulnerabilities.tsx). Both sides, and the page of
 * each list, live in the address (?base=&head=&added_page=) so a comparison can be shared.
 */
import { useState, type FormEvent } from 'react';
import { apiPaths, pages, shortDigest } from '../api/paths';
import { useApi } from '../api/use-api';
import type { EnvironmentSummary } from '../api/types';
import type { CompareAnswer, CompareSide } from '../api/image-types';
import { Loaded } from '../components/feedback';
import { FormField } from '../components/form-field';
import { SeverityCounts } from '../components/severity';
import { useTitle } from '../components/use-title';
import { Link, navigate, useLocation } from '../router';
import { CompareInstances } from './compare-instances';
import { CompareVulnerabilities } from './compare-vulnerabilities';

export function ComparePage() {
  useTitle('Compare');
  const { search } = useLocation();
  const base = search.get('base') ?? '';
  const head = search.get('head') ?? '';
  const [b, setB] = useState(base);
  const [h, setH] = useState(head);
  const envs = useApi<{ environments: EnvironmentSummary[] }>(apiPaths.environments());
  const result = useApi<CompareAnswer>(base && head ? apiPaths.compare(base, head) : null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    navigate(pages.compare(b.trim(), h.trim()));
  };
  return (
    <>
      <h1>Compare</h1>
      <form onSubmit={submit} className="toolbar compare-form">
        <FormField id="c-base" label="Base" help="env:NAME or host/path@sha256:…">
          <input type="text" list="c-sides" value={b} onChange={(e) => setB(e.target.value)} size={48} required />
        </FormField>
        <FormField id="c-head" label="Head" help="what you want to ship, or another environment">
          <input type="text" list="c-sides" value={h} onChange={(e) => setH(e.target.value)} size={48} required />
        </FormField>
        <datalist id="c-sides">{envs.data?.environments.map((e) => <option key={e.name} value={`env:${e.name}`} />)}</datalist>
        <div className="field"><button type="submit" className="button-primary">Compare</button></div>
      </form>
      {base && head ? (
        <Loaded what="the comparison" state={result}>
          {(r) => <CompareResult r={r} />}
        </Loaded>
      ) : <p className="help">For example base <code>env:production</code>, head <code>env:staging</code>: what shipping staging to production would change.</p>}
    </>
  );
}

function sideLabel(s: CompareSide) {
  const what = s.kind === 'env' ? <Link to={pages.environment(s.environment!)}>{s.given}</Link> : <Link to={pages.image(s.repository!, s.digest!)}>{s.given}</Link>;
  return <>{what} <span className="muted">({s.images} image{s.images === 1 ? '' : 's'}, {s.status.replace('_', ' ')}{s.unscanned_images ? `, ${s.unscanned_images} not scanned` : ''})</span></>;
}

function CompareResult({ r }: { r: CompareAnswer }) {
  return (
    <div data-testid="compare-result">
      <dl className="facts">
        <dt>Base</dt><dd>{sideLabel(r.base)}</dd>
        <dt>Head</dt><dd>{sideLabel(r.head)}</dd>
        <dt>Added</dt><dd><SeverityCounts counts={r.counts.added.by_severity} fixable={r.counts.added.fixable} /> <span className="muted">{r.counts.added.total} in all</span></dd>
        <dt>Removed</dt><dd><SeverityCounts counts={r.counts.removed.by_severity} fixable={r.counts.removed.fixable} /> <span className="muted">{r.counts.removed.total} in all</span></dd>
        <dt>Unchanged</dt><dd>{r.counts.unchanged.total}</dd>
      </dl>
      <h2>By repository</h2>
      <CompareInstances instances={r.instances} unchanged={r.instances_unchanged} />
      <h2>By vulnerability</h2>
      <CompareVulnerabilities lists={r.vulnerabilities} />
    </div>
  );
}
