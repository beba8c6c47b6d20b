import { Command, CommanderError } from 'commander';
import { registerServe } from './serve-command.js';
import { registerTokenCommands } from './token-command.js';
import { registerDeploy } from './deploy-command.js';
import { registerCompare } from './compare-command.js';
import { registerScanCommands } from './scan-command.js';
import { registerBuild } from './build-command.js';
import { registerK8sCommands } from './k8s-command.js';
import { registerPolicyCommands } from './policy-command.js';
import { openMigratedStorage, withStorageFlags } from './storage-options.js';
import { CliError } from './output.js';

/** The `tidewatch` command: thin, over the same services and the HTTP API. */
export function buildProgram(): Command {
  const program = new Command('tidewatch')
    .description('Tidewatch: what was built, what runs where, and what it is exposed to')
    .exitOverride()
    .showHelpAfterError();
  registerServe(program);
  withStorageFlags(program.command('migrate'))
    .description('apply database migrations and exit')
    .action(async (flags) => {
      const { storage, applied } = await openMigratedStorage(flags);
      await storage.close();
      process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
    });
  registerTokenCommands(program);
  registerDeploy(program);
  registerCompare(program);
  registerScanCommands(program);
  registerBuild(program);
  registerK8sCommands(program);
  registerPolicyCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof CliError) {
      process.stderr.write(`tidewatch: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`tidewatch: ${(error as Error).message ?? String(error)}\n`);
    return 1;
  }
}

// Run when executed directly (bin/tidewatch.js or `tsx src/cli/main.ts`), not when imported by tests.
if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/cli/main.ts') || process.argv[1]?.endsWith('/cli/main.js')) {
  const code = await main(process.argv);
  // `serve` keeps running: its signal handlers decide when to exit.
  if (code !== 0 || !process.argv.includes('serve')) process.exitCode = code;
}
