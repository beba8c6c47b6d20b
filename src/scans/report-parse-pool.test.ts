import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Worker } from 'node:worker_threads';
import { ReportParsePool } from './report-parse-pool.js';

const trivy = (n: number) => Buffer.from(JSON.stringify({
  SchemaVersion: 2, ArtifactName: 'x',
  Results: [{ Target: 't', Vulnerabilities: Array.from({ length: n }, (_, i) => ({ VulnerabilityID: `CVE-2024-${1000 + i}`, PkgName: 'p', InstalledVersion: '1', Severity: 'HIGH' })) }],
}));
/** The pool's threads (private: reached here to kill one as a crash would). */
const threadsOf = (pool: ReportParsePool) => (pool as unknown as { workers: Array<{ worker: Worker }> }).workers.map((w) => w.worker);

test('reports are prepared in a worker; a worker that dies fails what it held, and the next request gets a new one', async () => {
  const pool = new ReportParsePool(1);
  try {
    const first = await pool.prepare({ bytes: trivy(3), gzip: false, limit: 1 << 20 });
    assert.ok(first.ok);
    assert.equal(first.ok && first.report.findings.length, 3);
    const [thread] = threadsOf(pool);
    const pending = pool.prepare({ bytes: trivy(20_000), gzip: false, limit: 1 << 24 });
    await thread!.terminate();
    await assert.rejects(pending, /the report parser stopped/);
    const again = await pool.prepare({ bytes: trivy(2), gzip: false, limit: 1 << 20 });
    assert.ok(again.ok && again.report.findings.length === 2);
    assert.notEqual(threadsOf(pool)[0], thread);
  } finally {
    await pool.close();
  }
  await assert.rejects(pool.prepare({ bytes: trivy(1), gzip: false, limit: 1 << 20 }), /closed/);
});

test('refusals come back as data, not as errors', async () => {
  const pool = new ReportParsePool(1);
  try {
    const cases: Array<[Buffer, boolean, string]> = [
      [Buffer.from(''), false, 'empty'],
      [Buffer.from('{"a":'), false, 'syntax'],
      [Buffer.from('{"__proto__": {"x": 1}}'), false, 'forbidden-key'],
      [Buffer.from('{"SchemaVersion": 2, "Results": [{"Target": "a\\u0000b"}]}'), false, 'nul'],
      [Buffer.from('{"foo": 1}'), false, 'report'],
      [Buffer.from('not gzip'), true, 'gunzip'],
    ];
    for (const [bytes, gzip, kind] of cases) {
      const result = await pool.prepare({ bytes, gzip, limit: 1 << 20 });
      assert.equal(result.ok ? 'ok' : result.failure.kind, kind, bytes.toString().slice(0, 40));
    }
  } finally {
    await pool.close();
  }
});

test('descriptions the database is said to hold come back as their hash alone; others keep their text', async () => {
  const pool = new ReportParsePool(1);
  const described = (...texts: string[]) => Buffer.from(JSON.stringify({
    SchemaVersion: 2, ArtifactName: 'x',
    Results: [{ Target: 't', Vulnerabilities: texts.map((Description, i) => ({ VulnerabilityID: `CVE-2024-${i}`, PkgName: 'p', InstalledVersion: '1', Severity: 'LOW', Description })) }],
  }));
  const read = async (bytes: Buffer) => {
    const result = await pool.prepare({ bytes, gzip: false, limit: 1 << 20 });
    assert.ok(result.ok);
    return result.report.findings.map((f, i) => [f.description, result.descriptionHashes[i]]);
  };
  try {
    const before = await read(described('stored text', 'new text'));
    assert.deepEqual(before.map(([text]) => text), ['stored text', 'new text']);
    pool.descriptionsStored([before[0]![1]!, null]);
    const after = await read(described('stored text', 'new text', 'stored text'));
    assert.deepEqual(after, [[null, before[0]![1]], ['new text', before[1]![1]], [null, before[0]![1]]]);
  } finally {
    await pool.close();
  }
});
