import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { tokensFor } from '../../test/support/app.js';
import { buildApp } from '../http/app.js';
import { bootstrapDefaultWorkspace } from '../workspaces/bootstrap.js';

/*
 * ingest.md "Registry pushes", the real check: Debian's docker-registry (Distribution 2.8) notifies Tidewatch of what
 * skopeo pushes, OCI images built with umoci; nothing here runs Docker. Two images, tags v1 and latest, v1 moved to the
 * second image, the first deleted by digest; then what Tidewatch recorded is compared with what the registry holds.
 */

const run = promisify(execFile);

function onPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const file = path.join(dir, name);
    if (dir && fs.existsSync(file)) return file;
  }
  return null;
}

const registryBin = fs.existsSync('/usr/bin/docker-registry') ? '/usr/bin/docker-registry' : onPath('docker-registry');
const missing = [['docker-registry', registryBin], ['skopeo', onPath('skopeo')], ['umoci', onPath('umoci')]]
  .filter(([, found]) => !found).map(([name]) => name);
const skip = missing.length > 0
  ? `${missing.join(', ')} not installed: apt-get install -y docker-registry skopeo umoci (Debian packages; .ci/run installs them)`
  : false;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, seconds = 30): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function cmd(file: string, args: string[], cwd: string): Promise<string> {
  try {
    return (await run(file, args, { cwd, timeout: 60_000, env: { ...process.env, TMPDIR: cwd } })).stdout;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`${file} ${args.join(' ')} failed: ${e.stderr || e.message}`);
  }
}

interface Seen { contentType: string; action: string; mediaType: string | null; tag: string | null; digest: string | null; blob: boolean }

if (skip) {
  console.log(`real-registry test skipped: ${skip}`);
  test('a real Distribution registry notifying Tidewatch', { skip }, () => {});
} else {
  describeEachEngine('a real Distribution registry notifying Tidewatch', (engine) => {
    let storage: TestStorage;
    let app: FastifyInstance;
    let dir: string;
    let registry: ChildProcess | undefined;
    let registryLog = '';
    let host: string;
    const seen: Seen[] = [];

    before(async () => {
      storage = await openTestStorage(engine);
      await bootstrapDefaultWorkspace(storage.db, null);
      const { tokens } = await tokensFor(storage);
      app = await buildApp({ storage, config: { bodyLimitBytes: 1 << 20, rateLimitPerSecond: 0, publicUrl: 'http://127.0.0.1' } });
      // What the registry sends, to report it and to know when its last notification was answered (and committed).
      app.addHook('onResponse', async (request) => {
        if (request.url !== '/api/v1/hooks/distribution') return;
        for (const e of (request.body as { events?: any[] })?.events ?? []) {
          seen.push({
            contentType: String(request.headers['content-type']), action: e.action, mediaType: e.target?.mediaType ?? null,
            tag: e.target?.tag ?? null, digest: e.target?.digest ?? null, blob: String(e.target?.url ?? '').includes('/blobs/'),
          });
        }
      });
      await app.listen({ host: '127.0.0.1', port: 0 });
      const tidewatchPort = (app.server.address() as net.AddressInfo).port;

      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tidewatch-registry-'));
      const port = await freePort();
      host = `127.0.0.1:${port}`;
      fs.writeFileSync(path.join(dir, 'config.yml'), [
        'version: 0.1',
        'log:',
        '  level: warn',
        '  accesslog:',
        '    disabled: true',
        'storage:',
        '  filesystem:',
        `    rootdirectory: ${path.join(dir, 'storage')}`,
        '  delete:',
        '    enabled: true',
        'http:',
        `  addr: ${host}`,
        '  secret: tidewatch-test',
        'notifications:',
        '  endpoints:',
        '    - name: tidewatch',
        `      url: http://127.0.0.1:${tidewatchPort}/api/v1/hooks/distribution`,
        '      headers:',
        `        Authorization: ["Bearer ${tokens.write}"]`,
        '      timeout: 1s',
        '      threshold: 3',
        '      backoff: 100ms',
        '',
      ].join('\n'));
      // skopeo's default policy file may be absent; this one accepts the unsigned images we push.
      fs.writeFileSync(path.join(dir, 'policy.json'), JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
      const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REGISTRY_')));
      registry = spawn(registryBin!, ['serve', path.join(dir, 'config.yml')], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
      registry.stdout!.on('data', (d) => (registryLog += d));
      registry.stderr!.on('data', (d) => (registryLog += d));
      await until('the registry to answer /v2/', async () => {
        if (registry!.exitCode !== null) throw new Error(`docker-registry exited: ${registryLog}`);
        return (await fetch(`http://${host}/v2/`)).ok ? true : undefined;
      }, 20);
    });

    after(async () => {
      if (registry && registry.exitCode === null) {
        const exited = new Promise((r) => registry!.once('exit', r));
        registry.kill('SIGTERM');
        const timer = setTimeout(() => registry!.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      await app?.close();
      await storage?.dispose();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    test('pushes, a re-tag and a delete are recorded as the registry holds them', { timeout: 180_000 }, async (t) => {
      const layout = path.join(dir, 'oci');
      await cmd('umoci', ['init', '--layout', layout], dir);
      for (const name of ['a', 'b']) {
        await cmd('umoci', ['new', '--image', `${layout}:${name}`], dir);
        // A label apiece, so the two images differ whatever umoci new writes.
        await cmd('umoci', ['config', '--image', `${layout}:${name}`, '--config.label', `org.example.tidewatch=${name}`], dir);
      }
      const skopeo = (...args: string[]) => cmd('skopeo', ['--policy', path.join(dir, 'policy.json'), ...args], dir);
      const copy = (image: string, tag: string) => skopeo('copy', '--dest-tls-verify=false', `oci:${layout}:${image}`, `docker://${host}/acme/web:${tag}`);
      const digestOf = async (tag: string) => JSON.parse(await skopeo('inspect', '--tls-verify=false', `docker://${host}/acme/web:${tag}`)).Digest as string;

      await copy('a', 'v1');
      await copy('a', 'latest');
      const first = await digestOf('v1');
      await copy('b', 'v1');
      const second = await digestOf('v1');
      assert.notEqual(first, second);
      assert.equal(await digestOf('latest'), first);
      await skopeo('delete', '--tls-verify=false', `docker://${host}/acme/web@${first}`);

      const repository = `${host}/acme/web`;
      const tagsUrl = `/api/v1/repositories/${repository}/tags`;
      const readToken = (await tokensFor(storage)).tokens.read;
      const tags = await until('Tidewatch to hear of the pushes, the re-tag and the delete', async () => {
        const res = await app.inject({ method: 'GET', url: tagsUrl, headers: { authorization: `Bearer ${readToken}` } });
        if (res.statusCode !== 200) return undefined;
        const body = res.json() as { tags: Array<{ name: string; digest: string | null; history: Array<{ digest: string | null; action: string; source: string }> }> };
        const v1 = body.tags.find((x) => x.name === 'v1');
        const latest = body.tags.find((x) => x.name === 'latest');
        // Deleting a manifest, the registry also sends a delete of each tag that pointed at it, last.
        const tagDeleted = seen.some((s) => s.action === 'delete' && s.tag === 'latest');
        return v1?.history.length === 2 && latest?.digest === null && tagDeleted ? body.tags : undefined;
      });

      const v1 = tags.find((x) => x.name === 'v1')!;
      const latest = tags.find((x) => x.name === 'latest')!;
      assert.equal(v1.digest, second);
      assert.deepEqual(v1.history.map((h) => [h.action, h.digest, h.source]), [['push', second, 'distribution'], ['push', first, 'distribution']]);
      // The manifest delete cleared latest; the tag delete after it found nothing left to change.
      assert.deepEqual(latest.history.map((h) => [h.action, h.digest]), [['delete', null], ['push', first]]);

      const repo = await storage.db.selectFrom('repositories').selectAll().where('name', '=', repository).executeTakeFirstOrThrow();
      const images = await storage.db.selectFrom('images').selectAll().where('repository_id', '=', repo.id).orderBy('first_seen_at').execute();
      assert.deepEqual(images.map((i) => [i.digest, i.media_type, i.deleted_at !== null]), [
        [first, 'application/vnd.oci.image.manifest.v1+json', true],
        [second, 'application/vnd.oci.image.manifest.v1+json', false],
      ]);

      const events = (await storage.db.selectFrom('events').selectAll().where('kind', '=', 'repo_push').orderBy('id').execute())
        .map((e) => JSON.parse(e.data));
      assert.deepEqual(events, [['v1', first], ['latest', first], ['v1', second]].map(([tag, d]) => ({
        repository: 'acme/web', namespace: 'acme', name: 'web', docker_url: repository, updated_tags: [tag], digest: d, source: 'distribution',
      })));

      // What Distribution 2.8 sent, for the record (and the parser's comment).
      const manifestPushes = seen.filter((s) => s.action === 'push' && !s.blob);
      assert.ok(manifestPushes.length >= 3 && manifestPushes.every((s) => s.tag !== null), 'manifest pushes by tag carry target.tag');
      assert.ok(seen.some((s) => s.action === 'push' && s.blob), 'blob pushes were sent, and ignored');
      assert.ok(seen.some((s) => s.action === 'delete' && s.digest === first && s.tag === null));
      const summary = [...new Set(seen.map((s) => `${s.contentType} ${s.action} ${s.blob ? 'blob' : 'manifest'} ${s.mediaType ?? '-'} tag=${s.tag ?? '-'}`))];
      for (const line of summary) t.diagnostic(line);
    });
  });
}
