import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../../test/support/engines.js';
import { insertRows } from './multi-row-insert.js';

const columns = ['scan_id', 'workspace_id', 'digest', 'vulnerability_id', 'package', 'installed_version', 'location', 'fixed_version',
  'fix_state', 'severity', 'cvss', 'link', 'description_hash'] as const;

describeEachEngine('insertRows: what is stored is what was given', (engine) => {
  let storage: TestStorage;
  before(async () => { storage = await openTestStorage(engine); });
  after(async () => { await storage?.dispose(); });

  const scan = async (id: string) => storage.db.insertInto('scans').values({
    id, workspace_id: 'w', digest: `sha256:${id}`, format: 'trivy', scanner_name: 't', scanner_version: null, findings_count: 0,
    is_current: 1, summary: '{}', warnings: null, created_at: '2026-12-06T00:00:00.000Z',
  }).execute();
  const finding = (scanId: string, i: number, digest = `sha256:${scanId}`) => ({
    scan_id: scanId, workspace_id: 'w', digest, vulnerability_id: `CVE-2026-${i}`, package: `p${i % 7}`,
    installed_version: i % 3 ? `1.${i}` : null, location: null, fixed_version: i % 2 ? '2.0' : null, fix_state: 'fixed',
    severity: 'High', cvss: i % 4 ? 7.5 + i / 1000 : null, link: `https://x/${i}`, description_hash: i % 5 ? null : `h${i}`,
  });
  const stored = async (scanId: string) => (await storage.db.selectFrom('findings').select(columns).where('scan_id', '=', scanId)
    .orderBy('id').execute()).map((r) => ({ ...r, cvss: r.cvss === null ? null : Number(r.cvss.toFixed(3)) }));

  // Columns that are the same in every row are bound once where the engine can (engine.ts insertFromValues), in every
  // row otherwise; which columns are, varies: all three, two (the digest differs in one row), or none asked for.
  for (const [name, count, oftenSame, differ] of [
    ['1 row, three columns the same', 1, ['scan_id', 'workspace_id', 'digest'], false],
    ['777 rows (500 + 256 + 16 + 4 + 1), three the same', 777, ['scan_id', 'workspace_id', 'digest'], false],
    ['300 rows, the digest differing in one', 300, ['scan_id', 'workspace_id', 'digest'], true],
    ['300 rows, none asked for', 300, [], false],
  ] as const) {
    test(name, async () => {
      const scanId = `s-${name.length}-${count}-${differ}-${oftenSame.length}`;
      await scan(scanId);
      const rows = Array.from({ length: count }, (_, i) => finding(scanId, i, differ && i === 150 ? 'sha256:other' : undefined));
      await storage.transact((trx) => insertRows(trx, storage.engine, 'findings', columns, rows, { oftenSame }));
      assert.deepEqual(await stored(scanId), rows.map((r) => ({ ...r, cvss: r.cvss === null ? null : Number(r.cvss.toFixed(3)) })));
    });
  }
});
