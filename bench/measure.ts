import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';

/** What one command cost, measured from outside the process (start-up included). */
export interface Measurement {
  wallSeconds: number;
  /** User + system seconds of the finished command (NaN when it timed out or without GNU time). */
  cpuSeconds: number;
  /**
   * Peak resident set size, bytes: the kernel's figure for the finished command with GNU time;
   * otherwise (and for a run that timed out) the highest VmHWM sampled from /proc.
   */
  peakRssBytes: number;
  exitCode: number | null;
  /** Killed after `timeoutMs`: the figures then cover the run up to that moment. */
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

export interface MeasureOptions {
  /** Kill the command (its whole process group) after this long. Default: no bound. */
  timeoutMs?: number;
  /**
   * Where the command's stdout goes (a slow reader's stdin), handed over: this process's end
   * is closed once the command has its copy; or 'ignore' (/dev/null). By default stdout is collected.
   */
  stdout?: Writable | 'ignore';
  env?: NodeJS.ProcessEnv;
}

const GNU_TIME = '/usr/bin/time';
const SAMPLE_MS = 100;

/**
 * Runs `cmd` and measures it. Wall time is read here, from spawn to exit. With GNU time (the
 * usual /usr/bin/time), CPU time and peak RSS are the kernel's accounting of the finished
 * command. The command runs in a process group of its own, so a timeout ends all of it.
 */
export async function measure(cmd: string[], opts: MeasureOptions = {}): Promise<Measurement> {
  const withTime = existsSync(GNU_TIME);
  const report = join(tmpdir(), `ouwatch-bench-time-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.txt`);
  const argv = withTime ? [GNU_TIME, '-f', '%U %S %M', '-o', report, ...cmd] : cmd;
  try {
    const started = performance.now();
    const child = spawn(argv[0], argv.slice(1), {
      stdio: ['ignore', opts.stdout ?? 'pipe', 'pipe'],
      detached: true,
      env: opts.env ?? process.env,
    });
    // The command holds its own copy of the reader's end now; ours would keep it open past the command's exit.
    if (typeof opts.stdout === 'object') opts.stdout.destroy();
    const sampler = new PeakSampler(child.pid, withTime);
    let timedOut = false;
    const timer =
      opts.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            killGroup(child);
          }, opts.timeoutMs);
    const { code, stdout, stderr } = await collect(child);
    const wallSeconds = (performance.now() - started) / 1000;
    clearTimeout(timer);
    sampler.stop();
    if (withTime && !timedOut && existsSync(report)) {
      const last = readFileSync(report, 'utf8').trim().split('\n').pop() ?? '';
      const [user, sys, maxKb] = last.split(' ').map(Number);
      if ([user, sys, maxKb].every(Number.isFinite)) {
        return { wallSeconds, cpuSeconds: user + sys, peakRssBytes: maxKb * 1024, exitCode: code, timedOut, stdout, stderr };
      }
    }
    return { wallSeconds, cpuSeconds: NaN, peakRssBytes: sampler.peakBytes || NaN, exitCode: code, timedOut, stdout, stderr };
  } finally {
    rmSync(report, { force: true });
  }
}

/** What the slow reader got (its own count, to check nothing was lost). */
export interface ReaderReport {
  bytes: number;
  lines: number;
}

/**
 * `cmd` with its stdout going to a reader that consumes at most `bytesPerSecond` (reads a
 * chunk, then pauses): the command must hold back rather than buffer what it cannot write.
 * The reader's end is a socket pair, as Node makes for a child's stdio; a shell pipe
 * (`ouwatch ... | reader`) gave the same peak within a few per cent when checked.
 */
export async function measureIntoSlowReader(
  cmd: string[],
  bytesPerSecond: number,
  opts: Omit<MeasureOptions, 'stdout'> = {},
): Promise<Measurement & { reader: ReaderReport | null }> {
  const script = new URL('./slow-reader.mjs', import.meta.url).pathname;
  const reader = spawn(process.execPath, [script, String(bytesPerSecond)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const out: Buffer[] = [];
  reader.stdout.on('data', (b: Buffer) => out.push(b));
  const readerDone = new Promise<void>((resolve) => reader.on('close', () => resolve()));
  const m = await measure(cmd, { ...opts, stdout: reader.stdin });
  // The command is gone, so the reader sees the end of its input; a reader that hangs on is ended.
  const bound = setTimeout(() => reader.kill('SIGKILL'), 10_000 + (opts.timeoutMs ?? 0));
  await readerDone;
  clearTimeout(bound);
  let report: ReaderReport | null = null;
  try {
    report = JSON.parse(Buffer.concat(out).toString()) as ReaderReport;
  } catch {
    report = null;
  }
  return { ...m, reader: report };
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function collect(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (b: Buffer) => out.push(b));
  child.stderr?.on('data', (b: Buffer) => err.push(b));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
  });
}

/**
 * Samples VmHWM (the kernel's high-water mark of resident memory) of the measured process
 * from /proc: of `pid` itself, or of its children when `pid` is GNU time.
 */
class PeakSampler {
  peakBytes = 0;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(private readonly pid: number | undefined, private readonly viaTime: boolean) {
    if (pid !== undefined) this.timer = setInterval(() => this.sample(), SAMPLE_MS);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private sample(): void {
    const pids = this.viaTime ? childrenOf(this.pid!) : [this.pid!];
    for (const p of pids) {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
        if (m) this.peakBytes = Math.max(this.peakBytes, Number(m[1]) * 1024);
      } catch {
        // the process is gone
      }
    }
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export function median(values: number[]): number {
  const s = values.slice().sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
