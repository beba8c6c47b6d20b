/*
 * `/images/{repository}@{digest}` (ui.md): tags, platforms, the build, where it runs now and ran before, and the
 * findings of its current scan, with triage for tokens that may write.
 */
import { useState } from 'react';
import { apiPaths, pages } from '../../api/paths';
import { useApi } from '../../api/use-api';
import type { Finding, ImageView } from '../../api/image-types';
import { CopyBlock } from '../../components/copy-block';
import { ErrorMessage, Loading, Notice } from '../../components/feedback';
import { SeverityCounts } from '../../components/severity';
import { Time } from '../../components/time';
import { useTitle } from '../../components/use-title';
import { mayAct } from '../../session/identify';
import type { Identity } from '../../session/token-store';
import { Link } from '../../router';
import { ImageFacts } from './image-facts';
import { defaultFilter, FindingsTable, type FindingFilter } from './findings-table';
import { TriageDialog } from './triage-dialog';

export function ImagePage({ repository, digest, identity }: { repository: string; digest: string; identity: Identity }) {
  useTitle(`${repository}@${digest.slice(0, 19)}`);
  const [filter, setFilter] = useState<FindingFilter>(defaultFilter);
  const [triaging, setTriaging] = useState<Finding | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [actionError, setActionError] = useState<unknown>(undefined);
  const image = useApi<ImageView>(apiPaths.image(repository, digest, {
    limit: filter.limit, offset: filter.offset,
    severity: filter.severity.join(',') || undefined, fix_state: filter.fix_state || undefined, triage: filter.triage || undefined,
  }));
  const done = (message: string) => {
    setTriaging(null);
    setNotice(message);
    image.reload();
  };
  const header = (
    <>
      <p className="breadcrumbs"><Link to={pages.repository(repository)}>{repository}</Link> / image</p>
      <h1>{repository}@{digest.slice(0, 19)}…</h1>
    </>
  );
  if (image.error) return <>{header}<ErrorMessage error={image.error} title="Could not load the image" /></>;
  if (!image.data) return <>{header}<Loading what="the image" /></>;
  const i = image.data;
  return (
    <>
      {header}
      <CopyBlock text={i.image} label="image reference" />
      {notice ? <Notice>{notice}</Notice> : null}
      <ErrorMessage error={actionError} />
      <section aria-labelledby="scan-title">
        <h2 id="scan-title">Vulnerabilities</h2>
        {i.scan ? (
          <p data-testid="open-counts">
            <SeverityCounts counts={i.scan.vulnerabilities.by_severity} fixable={i.scan.vulnerabilities.fixable} />{' '}
            <span className="muted">
              {i.scan.vulnerabilities.total} open ({i.scan.vulnerabilities.fixable_total} fixable), {i.scan.vulnerabilities.suppressed} suppressed by triage ·
              scanned by {i.scan.scanner.name ?? i.scan.format} {i.scan.scanner.version ?? ''} <Time at={i.scan.scanned_at} /> · {' '}
              <Link to={pages.compare(i.image)}>compare with…</Link>
            </span>
          </p>
        ) : <p className="empty">Not scanned yet. Upload a report: <code>tidewatch scan upload report.json --image {i.image}</code></p>}
      </section>
      <ImageFacts image={i} />
      {i.scan ? (
        <FindingsTable
          findings={i.findings} filter={filter} onFilter={setFilter} mayTriage={mayAct(identity, 'write')}
          onTriage={(f) => { setNotice(null); setActionError(undefined); setTriaging(f); }}
          onWithdrawn={done} onError={setActionError}
        />
      ) : null}
      <TriageDialog key={triaging ? `${triaging.vulnerability_id}|${triaging.package}` : 'none'} finding={triaging} repository={repository} onClose={() => setTriaging(null)} onDone={done} />
    </>
  );
}
