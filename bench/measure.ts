import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What one finished command cost, measured from outside the process (start-up included). */
export interface Measurement {
  wallSeconds: number;
  cpuSeconds: number;
  /** Peak resident set size of the process, bytes. */
  peakRssBytes: number;
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

const GNU_TIME = '/usr/bin/time';

/**
 * Runs `cmd` to completion and measures it: wall time from here (start-up included); with GNU
 * time (the usual /usr/bin/time), CPU time and peak RSS are the kernel's accounting of the
 * finished child; without it, peak RSS is sampled from /proc (VmHWM, every 20 ms).
 */
export async function measure(cmd: string[]): Promise<Measurement> {
  if (existsSync(GNU_TIME)) return measureWithTime(cmd);
  return measureWithProc(cmd);
}

function collect(child: ReturnType<typeof spawn>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on('data', (b: Buffer) => out.push(b));
  child.stderr!.on('data', (b: Buffer) => err.push(b));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
  });
}

async function measureWithTime(cmd: string[]): Promise<Measurement> {
  const report = join(tmpdir(), `ouwatch-bench-time-${process.pid}-${Date.now()}.txt`);
  try {
    // Wall time is read here (GNU time prints it to 10 ms only); CPU and peak RSS come from time.
    const started = performance.now();
    const child = spawn(GNU_TIME, ['-f', '%U %S %M', '-o', report, ...cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
    const { code, stdout, stderr } = await collect(child);
    const wallSeconds = (performance.now() - started) / 1000;
    const [user, sys, maxKb] = readFileSync(report, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
    return { wallSeconds, cpuSeconds: user + sys, peakRssBytes: maxKb * 1024, exitCode: code, stdout, stderr };
  } finally {
    rmSync(report, { force: true });
  }
}

async function measureWithProc(cmd: string[]): Promise<Measurement> {
  const started = performance.now();
  const child = spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let peakKb = 0;
  const sample = () => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peakKb = Math.max(peakKb, Number(m[1]));
    } catch {
      // the process is gone
    }
  };
  const timer = setInterval(sample, 20);
  const { code, stdout, stderr } = await collect(child);
  clearInterval(timer);
  return { wallSeconds: (performance.now() - started) / 1000, cpuSeconds: NaN, peakRssBytes: peakKb * 1024, exitCode: code, stdout, stderr };
}

export function median(values: number[]): number {
  const s = values.slice().sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
