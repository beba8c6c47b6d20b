import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const cliEntry = path.join(root, 'src/cli/main.ts');

/** Runs `tidewatch <args>` from the sources and collects its output. */
export function runCli(args: string[], env: Record<string, string> = {}, input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', cliEntry, ...args], {
      cwd: root,
      env: { ...cleanEnv(), ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.end(input ?? '');
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
}

/** Starts `tidewatch serve` on a free port and waits until it listens. */
export async function startServer(env: Record<string, string>, extraArgs: string[] = []): Promise<ServerProcess> {
  // A bench run with TIDEWATCH_BENCH_PROFILE_DIR set writes a V8 CPU profile of each server (on a clean exit).
  const profile = process.env.TIDEWATCH_BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.TIDEWATCH_BENCH_PROFILE_DIR}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', cliEntry, 'serve', '--port', '0', ...extraArgs], {
    cwd: root,
    env: { ...cleanEnv(), TIDEWATCH_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 20 s:\n${out}`)), 20_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /"msg":"tidewatch listening"/.test(out) && /"port":(\d+)/.exec(out);
      if (m) { clearTimeout(timer); resolve(`http://127.0.0.1:${m[1]}`); }
    });
    child.on('exit', () => { clearTimeout(timer); reject(new Error(`server exited before listening:\n${out}`)); });
  });
  return { child, url, stdout: () => out, exited };
}

/** The test runner's own TIDEWATCH_* settings must not leak into the processes a test starts. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('TIDEWATCH_') || k === 'NODE_TEST_CONTEXT') delete env[k];
  return env;
}
