import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait.js';

export const OUWATCH = fileURLToPath(new URL('../../bin/ouwatch.js', import.meta.url));

export interface LogRecord {
  level: string;
  msg: string;
  [key: string]: unknown;
}

/** A real `ouwatch run` child process, with its JSON log (stderr) and stdout lines collected. */
export interface DaemonProcess {
  child: ChildProcess;
  logs: LogRecord[];
  /** stderr lines that were not JSON (usage errors before the logger exists). */
  rawErrors: string[];
  stdout: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The first log record matching, waiting for it. */
  waitForLog(what: string, match: (r: LogRecord) => boolean, timeoutMs?: number): Promise<LogRecord>;
  /** http://host:port of its endpoints, once it listens. */
  url(): Promise<string>;
}

/**
 * `bin`: another installation's bin/ouwatch.js (the packaged layout); the checkout's by default.
 * `wrapper`: a command that runs the daemon (`['prlimit', '--fsize=…']`), else node directly.
 */
export function spawnDaemon(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; bin?: string; wrapper?: string[] } = {}): DaemonProcess {
  const [cmd, ...pre] = [...(opts.wrapper ?? []), process.execPath];
  const child = spawn(cmd, [...pre, opts.bin ?? OUWATCH, 'run', ...args], { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: LogRecord[] = [];
  const rawErrors: string[] = [];
  const stdout: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => {
    try {
      logs.push(JSON.parse(line) as LogRecord);
    } catch {
      rawErrors.push(line);
    }
  });
  createInterface({ input: child.stdout! }).on('line', (line) => stdout.push(line));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const waitForLog = (what: string, match: (r: LogRecord) => boolean, timeoutMs = 15_000) => waitFor(what, () => logs.find(match), timeoutMs);
  return {
    child,
    logs,
    rawErrors,
    stdout,
    exited,
    waitForLog,
    url: async () => String((await waitForLog('the daemon to listen', (r) => r.msg === 'listening')).address),
  };
}
