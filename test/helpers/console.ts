import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium, type BrowserContext } from 'playwright-core';
import { OUWATCH } from './daemon.js';
import { waitFor } from './wait.js';

/** A real `ouwatch serve` child process on 127.0.0.1 (a free port), killed by `stop`. */
export interface ConsoleProcess {
  child: ChildProcess;
  url: string;
  stderr: string[];
  stop(): Promise<void>;
}

export async function startServe(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ConsoleProcess> {
  const child = spawn(process.execPath, [OUWATCH, 'serve', '--listen', '127.0.0.1:0', ...args], { env: { ...process.env, USER: 'analyst', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  const stderr: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (l) => stderr.push(l));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const line = await waitFor('ouwatch serve to listen', () => stderr.find((l) => l.startsWith('ouwatch: console at ')) ?? (child.exitCode !== null ? `exited: ${stderr.join('\n')}` : undefined), 20_000);
  if (line.startsWith('exited')) throw new Error(line);
  const url = /console at (http:\/\/[^/]+\/)/.exec(line)![1];
  return {
    child,
    url,
    stderr,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

/**
 * Debian's chromium, headless, with a fresh profile and nothing that reaches the internet
 * (background networking, component updates, sync and QUIC off: this machine has no way out).
 */
export async function launchBrowser(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'ouwatch-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.OUWATCH_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    timeout: 30_000,
    viewport: { width: 1400, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  context.setDefaultTimeout(10_000);
  return {
    context,
    close: async () => {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
