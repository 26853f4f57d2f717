import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
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
  /** Added to (or, when undefined, removed from) the environment. */
  env?: Record<string, string | undefined>;
  /** The child is killed past this bound, so a hung command fails the test instead of hanging the suite. */
  timeoutMs?: number;
}

/** Starts `node bin/ouwatch.js ARGS` (the real CLI) and returns the child. */
export function startCli(args: string[], opts: { cwd?: string; env?: Record<string, string | undefined> } = {}): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? REPO,
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
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

// Synchronous runs, for tests that read as a sequence of commands.

export const SAMPLE_LOGS = [0, 1].map((r) => new URL(`../../fixtures/sample/openunison-orchestra-${r}.log`, import.meta.url).pathname);

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `ouwatch ARGS` as a real child process (not a terminal: no colour). */
export function ouwatch(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000, cwd: opts.cwd, env: { ...process.env, ...opts.env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Like `ouwatch`, asserting exit 0. */
export function ok(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Run {
  const r = ouwatch(args, opts);
  assert.equal(r.status, 0, `ouwatch ${args.join(' ')}\n${r.stderr}`);
  return r;
}

export const lines = (s: string) => s.split('\n').filter(Boolean);
export const ndjson = <T = Record<string, unknown>>(s: string) => lines(s).map((l) => JSON.parse(l) as T);
