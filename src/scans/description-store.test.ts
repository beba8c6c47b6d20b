import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { digest, startTestApp, type TestApp } from '../../test/support/app.js';
import { DescriptionWrites, descriptionHash } from './description-store.js';

/** A Trivy report whose findings carry the given descriptions, one finding each. */
function trivyReport(descriptions: Array<[id: string, pkg: string, text: string]>): Record<string, unknown> {
  return {
    SchemaVersion: 2,
    ArtifactName: 'ghcr.io/acme/api:1',
    ArtifactType: 'container_image',
    Results: [{
      Target: 'ghcr.io/acme/api:1 (debian 12)',
      Vulnerabilities: descriptions.map(([id, pkg, text]) => ({
        VulnerabilityID: id, PkgName: pkg, InstalledVersion: '1.0', Severity: 'HIGH', Status: 'affected', Description: text,
      })),
    }],
  };
}

const LONG = 'A heap overflow in the parser lets a remote attacker run code. '.repeat(8);
const SHORT = 'Denial of service through a crafted header.';

describeEachEngine('finding descriptions stored once (migration 004)', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  before(async () => { storage = await openTestStorage(engine); t = await startTestApp(storage); });
  after(async () => { await t?.close(); await storage?.dispose(); });

  const upload = (report: unknown, repository: string, d: string) =>
    t.call('POST', `/api/v1/scans?image=${encodeURIComponent(`${repository}@${d}`)}`, { token: t.tokens.write, body: report });
  const texts = () => storage.db.selectFrom('descriptions').select(['hash', 'text']).orderBy('text').execute();

  test('a text shared by findings and by scans of other images is one row; every finding reads it back', async () => {
    const first = trivyReport([['CVE-2025-0001', 'libxml2', LONG], ['CVE-2025-0001', 'libxml2-utils', LONG], ['CVE-2025-0002', 'curl', SHORT]]);
    assert.equal((await upload(first, 'ghcr.io/acme/api', digest('d1'))).statusCode, 201);
    const second = trivyReport([['CVE-2025-0002', 'curl', SHORT], ['CVE-2025-0003', 'zlib', '']]);
    assert.equal((await upload(second, 'ghcr.io/acme/worker', digest('d2'))).statusCode, 201);

    assert.deepEqual(await texts(), [
      { hash: descriptionHash(LONG), text: LONG },
      { hash: descriptionHash(SHORT), text: SHORT },
    ]);
    const rows = await storage.db.selectFrom('findings').select(['package', 'description', 'description_hash']).orderBy('package').execute();
    assert.deepEqual(rows.map((r) => [r.package, r.description, r.description_hash]), [
      ['curl', null, descriptionHash(SHORT)],
      ['curl', null, descriptionHash(SHORT)],
      ['libxml2', null, descriptionHash(LONG)],
      ['libxml2-utils', null, descriptionHash(LONG)],
      ['zlib', null, null], // Trivy's empty Description is no description
    ]);

    const image = (await t.call('GET', `/api/v1/images/ghcr.io/acme/api@${digest('d1')}`, { token: t.tokens.read })).json();
    assert.deepEqual(image.findings.items.map((f: { package: string; description: string }) => [f.package, f.description]).sort(),
      [['curl', SHORT], ['libxml2', LONG], ['libxml2-utils', LONG]]);
    const vulnerability = (await t.call('GET', '/api/v1/vulnerabilities/CVE-2025-0002', { token: t.tokens.read })).json();
    assert.ok(JSON.stringify(vulnerability).includes(SHORT), 'the incident view shows the description');
  });

  test('texts written in a transaction that fails are not stored, and are written again by the next one', async () => {
    const writes = new DescriptionWrites(storage);
    assert.equal(writes.add('never committed'), descriptionHash('never committed'));
    await assert.rejects(storage.transact(async (trx) => {
      await writes.write(trx, storage.engine);
      throw new Error('the scan failed after its descriptions');
    }));
    assert.equal((await texts()).some((r) => r.text === 'never committed'), false);

    const again = new DescriptionWrites(storage);
    again.add('never committed');
    await storage.transact((trx) => again.write(trx, storage.engine));
    again.committed();
    assert.equal((await texts()).filter((r) => r.text === 'never committed').length, 1);
  });

  test('a text another process stored already is left as it is (no conflict error)', async () => {
    // A fresh key: a process that has not seen these texts committed, as a second server on the same database.
    const other = new DescriptionWrites({});
    other.add(LONG);
    other.add('only in the other process');
    await storage.transact((trx) => other.write(trx, storage.engine));
    const rows = await texts();
    assert.equal(rows.filter((r) => r.text === LONG).length, 1);
    assert.equal(rows.filter((r) => r.text === 'only in the other process').length, 1);
  });

  test('a null description names no text', () => {
    assert.equal(new DescriptionWrites({}).add(null), null);
  });
});
