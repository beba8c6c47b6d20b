import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { startTestApp, type TestApp } from '../../test/support/app.js';

/*
 * Every real report in ../shared/fixtures goes through POST /api/v1/scans, and the answer and the stored rows must
 * agree with counts computed here from the raw JSON — walked with plain code, as the parser tests do, never with the
 * parsers.
 */

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixturesDir = process.env.TIDEWATCH_FIXTURES_DIR ?? path.resolve(repoRoot, '../shared/fixtures');
const formats = ['trivy', 'grype', 'cyclonedx', 'sarif', 'clair'] as const;
const files = formats.flatMap((dir) => {
  const at = path.join(fixturesDir, dir);
  return existsSync(at) ? readdirSync(at).filter((f) => /\.json(\.gz)?$/.test(f)).sort().map((f) => ({ dir, file: f })) : [];
});
const skip = files.length === 0 ? `no report fixtures under ${fixturesDir} (set TIDEWATCH_FIXTURES_DIR)` : false;
if (skip) console.log(`skipping scan fixture tests: ${skip}`);

type Raw = any;
const severityNames = ['Critical', 'High', 'Medium', 'Low', 'Negligible', 'Unknown'];
const capitalised = (word: unknown): string => {
  const w = String(word ?? '').toLowerCase();
  const name = w.charAt(0).toUpperCase() + w.slice(1);
  return severityNames.includes(name) ? name : 'Unknown';
};
const band = (s: number) => (s >= 9 ? 'Critical' : s >= 7 ? 'High' : s >= 4 ? 'Medium' : s > 0 ? 'Low' : 'Negligible');
const isDigest = (d: unknown): d is string => typeof d === 'string' && /^sha256:[a-f0-9]{64}$/.test(d);
const digestOf = (repoDigest: string) => repoDigest.slice(repoDigest.lastIndexOf('@') + 1);

interface Expected {
  severities: string[];
  /** The digest the report pins its image to (its registry digest first), or null: ?image= is needed. */
  digest: string | null;
  vex: boolean;
  /** Triage decisions a VEX document carries: distinct (vulnerability, package) scopes. */
  decisions: number;
  valid: boolean;
}

function trivy(r: Raw): Expected {
  const vulns = (r.Results ?? []).flatMap((x: Raw) => x.Vulnerabilities ?? []);
  const digests = (r.Metadata?.RepoDigests ?? []).map(digestOf).filter(isDigest);
  return { severities: vulns.map((v: Raw) => capitalised(v.Severity)), digest: digests[0] ?? null, vex: false, decisions: 0, valid: true };
}

function grype(r: Raw): Expected {
  const target = r.source?.target;
  const repoDigest = (target?.repoDigests ?? []).map(digestOf).find(isDigest);
  const digest = repoDigest ?? (isDigest(target?.manifestDigest) ? target.manifestDigest : null);
  return { severities: r.matches.map((m: Raw) => capitalised(m.vulnerability.severity)), digest, vex: false, decisions: 0, valid: true };
}

/** The rating of the vulnerability's own source, else NVD's, else the most severe (as the CycloneDX parser test). */
function cycloneDxSeverity(v: Raw): string {
  const words: Record<string, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4, none: 4 };
  const levelOf = (x: Raw): number => {
    const level = words[String(x.severity).toLowerCase()] ?? 5;
    if (level === 5 && /^CVSS/.test(x.method ?? '') && typeof x.score === 'number') return severityNames.indexOf(band(x.score));
    return level;
  };
  const ratings: Raw[] = Array.isArray(v.ratings) ? v.ratings : [];
  for (const source of [v.source?.name, 'nvd']) {
    const own = ratings.filter((x) => typeof source === 'string' && String(x?.source?.name).toLowerCase() === source.toLowerCase());
    const level = Math.min(5, ...own.map(levelOf));
    if (level !== 5) return severityNames[level]!;
  }
  return severityNames[Math.min(5, ...ratings.map(levelOf))]!;
}

function cyclonedx(r: Raw): Expected {
  const vulns: Raw[] = r.vulnerabilities ?? [];
  const severities = vulns.flatMap((v) => (v.affects?.length ? v.affects : [null]).map(() => cycloneDxSeverity(v)));
  const subject = r.metadata?.component;
  const tools = Array.isArray(r.metadata?.tools) ? r.metadata.tools : [...(r.metadata?.tools?.components ?? [])];
  const scanner = tools.some((t: Raw) => /^(trivy|grype)$/i.test(t.name ?? ''));
  const vex = vulns.length > 0 && vulns.every((v) => v.analysis?.state) && !scanner && subject?.type !== 'container';
  const property = (subject?.properties ?? []).find((p: Raw) => p.name === 'aquasecurity:trivy:RepoDigest')?.value;
  const purl = /^pkg:oci\/[^@]+@(sha256%3A[a-f0-9]{64})/.exec(subject?.purl ?? '')?.[1]?.replace('%3A', ':');
  const version = subject?.type === 'container' && isDigest(subject?.version) ? subject.version : null;
  const digest = [property && digestOf(property), purl, version].find(isDigest) ?? null;
  // A VEX about the product itself (its metadata.component) holds for every package: one scope per vulnerability.
  const scopes = new Set(vulns.flatMap((v) => (v.affects?.length ? v.affects : [null]).map((a: Raw) =>
    `${v.id} ${a === null || a.ref === subject?.['bom-ref'] ? '*' : a.ref}`)));
  return { severities, digest, vex, decisions: vex ? scopes.size : 0, valid: true };
}

function sarif(r: Raw): Expected {
  const severities = r.runs.flatMap((run: Raw) => (run.results ?? []).map((result: Raw) => {
    const rule = run.tool.driver.rules?.find((x: Raw) => x.id === result.ruleId);
    const message: string = result.message.text;
    const text = message.includes('Package: ') ? message : rule.help.text;
    const line = text.split('\n').find((l: string) => l.startsWith('Severity:'));
    return capitalised(line?.replace(/^Severity:\s*/, ''));
  }));
  const digests = r.runs.flatMap((run: Raw) => run.properties?.repoDigests ?? []).map(digestOf).filter(isDigest);
  return { severities, digest: digests[0] ?? null, vex: false, decisions: 0, valid: true };
}

function clair(r: Raw): Expected {
  if (typeof r.manifest_hash !== 'string') return { severities: [], digest: null, vex: false, decisions: 0, valid: false };
  const best = new Map<string, number>();
  for (const [type, maps] of Object.entries<Raw[]>(r.enrichments ?? {})) {
    if (!type.includes('clair.cvss')) continue;
    for (const [id, records] of maps.flatMap((m) => Object.entries<Raw[]>(m))) {
      for (const { baseScore } of records) if (baseScore !== undefined) best.set(id, Math.max(baseScore, best.get(id) ?? 0));
    }
  }
  const severities = Object.values<string[]>(r.package_vulnerabilities).flatMap((ids) => ids.map((id) => {
    const v = r.vulnerabilities[id];
    if (v.normalized_severity && v.normalized_severity !== 'Unknown') return v.normalized_severity as string;
    const score = best.get(id);
    return score === undefined ? 'Unknown' : band(score);
  }));
  // A Clair report names the manifest, never the repository: it always needs ?image=.
  return { severities, digest: null, vex: false, decisions: 0, valid: true };
}

const expectations = { trivy, grype, cyclonedx, sarif, clair };
const countBy = (values: string[]) => Object.fromEntries(severityNames.map((s) => [s, values.filter((v) => v === s).length]));

describeEachEngine('POST /api/v1/scans with every fixture', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  before(async () => { storage = await openTestStorage(engine); t = await startTestApp(storage); });
  after(async () => { await t?.close(); await storage?.dispose(); });

  if (skip) test('report fixtures', { skip }, () => {});

  for (const { dir, file } of files) {
    test(`${dir}/${file}`, async () => {
      const bytes = readFileSync(path.join(fixturesDir, dir, file));
      const gz = file.endsWith('.gz');
      const raw = JSON.parse((gz ? gunzipSync(bytes) : bytes).toString('utf8'));
      const expected = expectations[dir](raw);
      const headers: Record<string, string> = gz ? { 'content-encoding': 'gzip' } : {};
      const post = (query = '') => t.call('POST', `/api/v1/scans${query}`, { token: t.tokens.write, body: bytes, headers: { 'content-type': 'application/json', ...headers } });

      if (!expected.valid) {
        const res = await post();
        assert.equal(res.statusCode, 400, res.body);
        assert.equal(res.json().error.field, 'body');
        assert.match(res.json().error.message, /^unrecognised report format/);
        return;
      }
      if (expected.vex) {
        const res = await post();
        assert.equal(res.statusCode, 201, res.body);
        assert.equal(res.json().triage, expected.decisions);
        const rows = await storage.db.selectFrom('triage').selectAll().where('workspace_id', '=', t.workspaceId)
          .where('vulnerability_id', 'in', raw.vulnerabilities.map((v: Raw) => v.id)).execute();
        assert.equal(rows.length, expected.decisions);
        const states = Object.fromEntries(raw.vulnerabilities.map((v: Raw) => [v.id, v.analysis.state]));
        for (const row of rows) assert.equal(row.state, states[row.vulnerability_id]);
        return;
      }

      let query = '';
      if (expected.digest === null) {
        const refused = await post();
        assert.equal(refused.statusCode, 400, refused.body);
        assert.match(refused.json().error.message, /pass \?image=<repository>@/);
        const own = `sha256:${createHash('sha256').update(file).digest('hex')}`;
        query = `?image=${encodeURIComponent(`ghcr.io/fixtures/${dir}:latest@${own}`)}`;
        expected.digest = own;
      }
      const res = await post(query);
      assert.equal(res.statusCode, 201, res.body);
      const answer = res.json();
      assert.equal(answer.findings, expected.severities.length, 'findings count');
      assert.deepEqual(answer.by_severity, countBy(expected.severities), 'by_severity');
      assert.equal(answer.image.digest, expected.digest);
      assert.equal(answer.format, dir);
      if (query) assert.equal(answer.image.repository, `ghcr.io/fixtures/${dir}`);

      const scan = await storage.db.selectFrom('scans').selectAll().where('id', '=', answer.scan_id).executeTakeFirstOrThrow();
      assert.equal(scan.is_current, 1);
      assert.equal(scan.findings_count, expected.severities.length);
      assert.equal(scan.digest, expected.digest);
      assert.deepEqual(JSON.parse(scan.summary).by_severity, countBy(expected.severities), 'stored summary (nothing triaged)');
      const stored = await storage.db.selectFrom('findings').select('severity').where('scan_id', '=', answer.scan_id).execute();
      assert.deepEqual(countBy(stored.map((f) => f.severity)), countBy(expected.severities), 'stored findings');
      const image = await storage.db.selectFrom('images').innerJoin('repositories', 'repositories.id', 'images.repository_id')
        .select('repositories.name').where('images.workspace_id', '=', t.workspaceId).where('images.digest', '=', expected.digest)
        .execute();
      assert.ok(image.some((i) => i.name === answer.image.repository), 'the image is recorded');
    });
  }

  test('a report naming a platform manifest and a registry digest is recorded for the registry digest, with a warning', { skip }, async () => {
    const bytes = readFileSync(path.join(fixturesDir, 'grype', 'kubevuln_nginx-1.14.1.json.gz'));
    const raw = JSON.parse(gunzipSync(bytes).toString('utf8'));
    const registry = digestOf(raw.source.target.repoDigests[0]);
    const platform = raw.source.target.manifestDigest;
    assert.notEqual(registry, platform);
    const res = await t.call('POST', '/api/v1/scans', { body: bytes, headers: { 'content-encoding': 'gzip' } });
    assert.equal(res.statusCode, 201, res.body);
    assert.deepEqual(res.json().image, { repository: 'docker.io/library/nginx', digest: registry });
    assert.deepEqual(res.json().warnings, [`the report also names digest ${platform}; the scan was recorded for ${registry}`]);
    const scan = await storage.db.selectFrom('scans').select('warnings').where('id', '=', res.json().scan_id).executeTakeFirstOrThrow();
    assert.deepEqual(JSON.parse(scan.warnings!), res.json().warnings);
  });
});
