import type { Command } from 'commander';
import { createToken, describeToken, parseExpiry, roles, type Role } from '../auth/token-service.js';
import { findToken, listTokens, revokeToken } from '../auth/token-queries.js';
import { recordAudit } from '../audit/audit-queries.js';
import { ensureWorkspace, findWorkspaceByName, listWorkspaces } from '../workspaces/workspace-queries.js';
import { nowIso } from '../core/clock.js';
import { openMigratedStorage, withStorageFlags } from './storage-options.js';
import { fail } from './output.js';

/** Token and workspace administration on the server's own database (for operators on the host). */
export function registerTokenCommands(program: Command): void {
  const token = program.command('token').description('create, list and revoke API tokens');

  withStorageFlags(token.command('create'))
    .description('create a token and print it alone on stdout')
    .requiredOption('--role <role>', 'read, write or admin')
    .option('--repo <glob>', 'limit the token to repositories matching this glob')
    .option('--name <name>', 'a name to tell the token apart')
    .option('--expires <when>', 'expiry: 30d, 12h, 90m or an ISO-8601 time')
    .option('--workspace <name>', 'workspace', 'default')
    .action(async (flags) => {
      if (!roles.includes(flags.role)) fail(`--role must be one of ${roles.join(', ')}; got "${flags.role}"`);
      const expiresAt = flags.expires ? attempt(() => parseExpiry(flags.expires)) : null;
      await withDb(flags, async (db) => {
        const ws = await workspaceOrFail(db, flags.workspace);
        const made = await attemptAsync(() => db.transaction().execute(async (trx) => {
          const created = await createToken(trx, { workspaceId: ws.id, role: flags.role as Role, name: flags.name, repoGlob: flags.repo ?? null, expiresAt });
          await recordAudit(trx, { workspaceId: ws.id, tokenId: null, action: 'token.create', target: created.row.id, detail: { role: flags.role, via: 'cli' } });
          return created;
        }));
        process.stdout.write(`${made.token}\n`);
      });
    });

  withStorageFlags(token.command('list'))
    .description('list the tokens of a workspace (never the tokens themselves)')
    .option('--workspace <name>', 'workspace', 'default')
    .option('--json', 'print JSON')
    .action(async (flags) => {
      await withDb(flags, async (db) => {
        const ws = await workspaceOrFail(db, flags.workspace);
        const rows = (await listTokens(db, ws.id)).map(describeToken);
        if (flags.json) return void process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
        const lines = [['ID', 'PREFIX', 'NAME', 'ROLE', 'SCOPE', 'EXPIRES', 'LAST USED', 'STATE']];
        for (const r of rows) {
          lines.push([r.id, r.prefix, r.name, r.role, r.repository_glob ?? '*', r.expires_at ?? '-', r.last_used_at ?? '-', r.revoked ? 'revoked' : 'active']);
        }
        process.stdout.write(table(lines));
      });
    });

  withStorageFlags(token.command('revoke'))
    .description('revoke a token by id or prefix')
    .argument('<id-or-prefix>')
    .option('--workspace <name>', 'workspace', 'default')
    .action(async (idOrPrefix: string, flags) => {
      await withDb(flags, async (db) => {
        const ws = await workspaceOrFail(db, flags.workspace);
        const found = await findToken(db, ws.id, idOrPrefix);
        if (found.length === 0) fail(`no token ${idOrPrefix} in workspace ${ws.name}`);
        if (found.length > 1) fail(`${idOrPrefix} matches ${found.length} tokens; give the id`);
        const row = found[0]!;
        const done = await db.transaction().execute(async (trx) => {
          const ok = await revokeToken(trx, ws.id, row.id, nowIso());
          if (ok) await recordAudit(trx, { workspaceId: ws.id, tokenId: null, action: 'token.revoke', target: row.id, detail: { via: 'cli' } });
          return ok;
        });
        if (!done) fail(`token ${row.id} is already revoked`);
        process.stdout.write(`revoked ${row.id} (${row.prefix}…)\n`);
      });
    });

  const workspace = program.command('workspace').description('tenants: each has its own tokens and data');
  withStorageFlags(workspace.command('create'))
    .description('create a workspace and print its first admin token')
    .argument('<name>')
    .action(async (name: string, flags) => {
      if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(name)) fail('a workspace name is 1–63 characters of a-z, 0-9 and -, starting with a letter or digit');
      await withDb(flags, async (db) => {
        if (await findWorkspaceByName(db, name)) fail(`workspace ${name} already exists`);
        const ws = await ensureWorkspace(db, name);
        const made = await createToken(db, { workspaceId: ws.id, role: 'admin', name: 'workspace admin' });
        process.stdout.write(`${made.token}\n`);
      });
    });
  withStorageFlags(workspace.command('list')).description('list workspaces').action(async (flags) => {
    await withDb(flags, async (db) => {
      for (const w of await listWorkspaces(db)) process.stdout.write(`${w.name}\t${w.created_at}\n`);
    });
  });
}

type Flags = { dataDir?: string; databaseUrl?: string };

async function withDb(flags: Flags, fn: (db: import('../core/db/database.js').Db) => Promise<void>): Promise<void> {
  const { storage } = await openMigratedStorage(flags);
  try {
    await fn(storage.db);
  } finally {
    await storage.close();
  }
}

async function workspaceOrFail(db: import('../core/db/database.js').Db, name: string) {
  const ws = await findWorkspaceByName(db, name);
  if (!ws) fail(`no workspace named ${name} (start the server once, or run: tidewatch workspace create ${name})`);
  return ws;
}

function attempt<T>(fn: () => T): T {
  try { return fn(); } catch (e) { return fail((e as Error).message); }
}
async function attemptAsync<T>(fn: () => Promise<T>): Promise<T> {
  try { return await fn(); } catch (e) { return fail((e as Error).message); }
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}
