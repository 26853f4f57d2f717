import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const BIN = new URL('../../bin/ouwatch.js', import.meta.url).pathname;
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
