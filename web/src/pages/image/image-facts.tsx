/* What an image is and where it is: tags (now and before), platforms, parent indexes, builds, where it runs and ran. */
import { pages, shortDigest } from '../../api/paths';
import type { ImageView } from '../../api/image-types';
import { Time } from '../../components/time';
import { Link } from '../../router';

export function ImageFacts({ image: i }: { image: ImageView }) {
  const platform = (p: { os: string | null; architecture: string | null; variant: string | null }) => [p.os, p.architecture, p.variant].filter(Boolean).join('/') || 'unknown';
  return (
    <div className="split">
      <section aria-labelledby="about-title">
        <h2 id="about-title">Image</h2>
        <dl className="facts">
          <dt>Tags</dt>
          <dd>{i.tags.length > 0 ? i.tags.map((t) => <span key={t.name} className="badge">{t.name}</span>) : <span className="muted">none now</span>}</dd>
          {i.former_tags.length > 0 ? <><dt>Formerly</dt><dd>{i.former_tags.map((t) => <span key={t.name}>{t.name} <span className="muted">(now {t.digest_now ? shortDigest(t.digest_now) : 'deleted'}) </span></span>)}</dd></> : null}
          <dt>{i.is_index ? 'Platforms (index)' : 'Platform'}</dt>
          <dd>{i.platforms.length > 0 ? i.platforms.map((p) => (
            <div key={p.digest}>{platform(p)}{p.digest !== i.digest ? <> · <Link to={pages.image(i.repository, p.digest)} className="mono">{shortDigest(p.digest)}</Link></> : null}</div>
          )) : <span className="muted">unknown</span>}</dd>
          {i.indexes.length > 0 ? <><dt>In index</dt><dd>{i.indexes.map((x) => <div key={x.digest}><Link to={pages.image(i.repository, x.digest)} className="mono">{shortDigest(x.digest)}</Link> as {platform(x)}</div>)}</dd></> : null}
          <dt>Media type</dt><dd className="mono">{i.media_type ?? '–'}</dd>
          <dt>First seen</dt><dd><Time at={i.first_seen_at} /></dd>
          <dt>Built by</dt>
          <dd>{i.builds.length > 0 ? i.builds.map((b) => (
            <div key={b.build_id}>
              <Link to={pages.build(b.repository, b.build_id)}>{b.build_name ?? b.build_id.slice(0, 8)}</Link>{' '}
              <span className={`phase-${b.phase}`}>{b.phase}</span>{b.commit ? <span className="mono"> {b.commit.slice(0, 7)}</span> : null}{b.ref ? <span className="muted"> {b.ref}</span> : null}
            </div>
          )) : <span className="muted">no build recorded</span>}</dd>
        </dl>
      </section>
      <section aria-labelledby="runs-title">
        <h2 id="runs-title">Where it runs</h2>
        {i.deployments.running.length === 0 ? <p className="empty">Not running anywhere now.</p> : (
          <ul>
            {i.deployments.running.map((d) => (
              <li key={`${d.environment}/${d.name}`}><Link to={pages.environment(d.environment)}>{d.environment}</Link> · {d.name}{d.tag ? ` (${d.tag})` : ''} · since <Time at={d.since} /></li>
            ))}
          </ul>
        )}
        {i.deployments.previous.length > 0 ? (
          <>
            <h3>Ran before</h3>
            <ul>
              {i.deployments.previous.map((d, n) => (
                <li key={n}>
                  <Link to={pages.environment(d.environment)}>{d.environment}</Link> · {d.name} · <Time at={d.from} /> to <Time at={d.until} />
                  {d.replaced_by ? <> · replaced by <Link to={pages.image(i.repository, d.replaced_by)} className="mono">{shortDigest(d.replaced_by)}</Link></> : null}
                </li>
              ))}
            </ul>
            {i.deployments.previous_total > i.deployments.previous.length ? <p className="help">{i.deployments.previous_total - i.deployments.previous.length} older ones not shown.</p> : null}
          </>
        ) : null}
      </section>
    </div>
  );
}
