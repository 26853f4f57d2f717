import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = fileURLToPath(new URL('../../bin/ouwatch.js', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Written to the child's stdin, then stdin is closed (stdin is closed at once when absent). */
  input?: string | Buffer;
  cwd?: string;
  /** The child is killed past this bound, so a hung command fails the test instead of hanging the suite. */
  timeoutMs?: number;
}

/** Starts `node bin/ouwatch.js ARGS` (the real CLI) and returns the child. */
export function startCli(args: string[], opts: { cwd?: string } = {}): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? REPO,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** Runs the real CLI to completion. */
export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const child = startCli(args, opts);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on('data', (b: Buffer) => out.push(b));
  child.stderr!.on('data', (b: Buffer) => err.push(b));
  child.stdin!.on('error', () => {}); // the command may exit before reading all of its input
  child.stdin!.end(opts.input ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}
