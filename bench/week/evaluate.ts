import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULTS, defaultDir, generateWeek, generatorDigest, STAMP_FILE } from './generate.js';
import { formatReport } from './report.js';
import { score, type AlertRecord, type IncidentRecord, type Report } from './score.js';
import type { Truth } from './truth.js';

/**
 * `npm run eval:week`: generates (or reuses) the realistic week, replays it with the real CLI
 * into a fresh database, and scores the alerts (and incidents, where the product has them)
 * against the ground truth. It measures: exit 0 whatever the verdict, non-zero on errors.
 *
 *   npm run eval:week -- [--users 300] [--days 7] [--seed 1] [--density 1] [--ingress] [--dir DIR] [--fresh]
 *                        [--bin bin/ouwatch.js] [--rules DIR] [--config FILE] [--db PATH] [--json]
 */

const HERE = fileURLToPath(new URL('.', import.meta.url));
const REPO = resolve(HERE, '..', '..');

export interface Evaluation {
  corpus: { dir: string; reused: boolean; users: number; days: number; seed: number; density: number; ingress: boolean; lines: number; userDays: number; replicaSkewMs: Truth['replicaSkewMs'] };
  replay: { seconds: number; skipped: number | null; events: Record<string, number> | null; summary: string };
  report: Report;
}

function week(o: { users: number; days: number; seed: number; density: number; ingress?: boolean; noGrace?: boolean; dir: string; fresh: boolean }): { truth: Truth; reused: boolean } {
  const truthPath = join(o.dir, 'truth.json');
  const stamp = join(o.dir, STAMP_FILE);
  if (!o.fresh && existsSync(truthPath) && existsSync(stamp) && readFileSync(stamp, 'utf8') === generatorDigest()) {
    const truth = JSON.parse(readFileSync(truthPath, 'utf8')) as Truth;
    const g = truth.generator;
    const same = g.users === o.users && g.days === o.days && g.seed === o.seed && g.density === o.density && (truth.ingressPods ?? null) !== null === (o.ingress === true) && (g.noGrace === true) === (o.noGrace === true);
    if (same && truth.files.every((f) => existsSync(join(o.dir, f)) && statSync(join(o.dir, f)).size === truth.bytes[f])) return { truth, reused: true };
  }
  return { truth: generateWeek(o), reused: false };
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

function run(bin: string, args: string[]): Promise<Run> {
  const started = performance.now();
  const child = spawn(process.execPath, [bin, ...args], { cwd: REPO, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  return new Promise((res, rej) => {
    child.on('error', rej);
    child.on('close', (code) => res({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), seconds: (performance.now() - started) / 1000 }));
  });
}

const ndjson = <T>(s: string): T[] => s.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as T);

/** Event counts and skipped lines from the replay summary on stderr (null if it changed shape). */
function parseSummary(stderr: string): { skipped: number | null; events: Record<string, number> | null } {
  const num = (s: string) => Number(s.replace(/,/g, ''));
  const skipped = /^\s*skipped:\s+([\d,]+)/m.exec(stderr);
  const events = /^\s*events:\s+(.*)$/m.exec(stderr);
  return {
    skipped: skipped ? num(skipped[1]) : null,
    events: events ? Object.fromEntries([...events[1].matchAll(/(\w+) ([\d,]+)/g)].map((m) => [m[1], num(m[2])])) : null,
  };
}

export async function evaluate(o: {
  users: number; days: number; seed: number; density: number; ingress?: boolean; noGrace?: boolean; dir: string; fresh: boolean; bin: string; rules?: string; config?: string; db?: string;
}): Promise<Evaluation> {
  if (o.db !== undefined && existsSync(o.db)) throw new Error(`--db ${o.db} exists: the evaluation needs a fresh database`);
  const { truth, reused } = week(o);
  const scratch = mkdtempSync(join(tmpdir(), 'ouwatch-week-eval-'));
  const db = o.db ?? join(scratch, 'week.db');
  const extra = [...(o.rules ? ['--rules', o.rules] : []), ...(o.config ? ['--config', o.config] : [])];
  try {
    const replay = await run(o.bin, ['replay', ...truth.files.map((f) => join(o.dir, f)), '--db', db, '--json', ...extra]);
    if (replay.code !== 0) throw new Error(`ouwatch replay exited with ${replay.code}:\n${replay.stderr.trim()}`);
    const alerts = ndjson<AlertRecord>(replay.stdout);
    const inc = await run(o.bin, ['incidents', 'list', '--json', '--status', 'all', '--limit', 'all', '--db', db]);
    let incidents: IncidentRecord[] | null = null;
    if (inc.code === 0) incidents = ndjson<IncidentRecord>(inc.stdout);
    else if (!/unknown command/i.test(inc.stderr)) throw new Error(`ouwatch incidents list exited with ${inc.code}:\n${inc.stderr.trim()}`);
    const check = await run(o.bin, ['rules', 'check', ...(o.rules ? [o.rules] : [])]);
    const ruleIds = [...check.stdout.matchAll(/^ok\s+(\S+)/gm)].map((m) => m[1]);
    const summary = parseSummary(replay.stderr);
    return {
      corpus: {
        dir: o.dir, reused, users: o.users, days: o.days, seed: o.seed, density: o.density, ingress: o.ingress === true,
        lines: Object.values(truth.lines).reduce((a, b) => a + b, 0), userDays: truth.userDays, replicaSkewMs: truth.replicaSkewMs,
      },
      replay: { seconds: Math.round(replay.seconds * 10) / 10, ...summary, summary: replay.stderr.split('\n').filter((l) => !l.startsWith('ouwatch: warning')).join('\n').trim() },
      report: score(truth, alerts, incidents, ruleIds),
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      users: { type: 'string', default: String(DEFAULTS.users) },
      days: { type: 'string', default: String(DEFAULTS.days) },
      seed: { type: 'string', default: String(DEFAULTS.seed) },
      density: { type: 'string', default: String(DEFAULTS.density) },
      dir: { type: 'string' },
      fresh: { type: 'boolean', default: false },
      bin: { type: 'string', default: join(REPO, 'bin', 'ouwatch.js') },
      rules: { type: 'string' },
      config: { type: 'string' },
      db: { type: 'string' },
      json: { type: 'boolean', default: false },
      ingress: { type: 'boolean', default: false },
      'no-grace': { type: 'boolean', default: false },
    },
  });
  const o = { users: Number(values.users), days: Number(values.days), seed: Number(values.seed), density: Number(values.density), ingress: values.ingress, noGrace: values['no-grace'] };
  if (!Number.isInteger(o.users) || o.users < 10 || !Number.isInteger(o.days) || o.days < 1 || o.days > 7 || !Number.isInteger(o.seed) || !(o.density > 0)) {
    console.error('usage: npm run eval:week -- [--users N>=10] [--days 1..7] [--seed INT] [--density X>0] [--ingress] [--no-grace] [--dir DIR] [--fresh] [--bin PATH] [--rules DIR] [--config FILE] [--db PATH] [--json]');
    process.exit(2);
  }
  if (values.db !== undefined && existsSync(values.db)) {
    console.error(`eval:week: --db ${values.db} exists: the evaluation needs a fresh database`);
    process.exit(2);
  }
  const bin = resolve(values.bin);
  if (!existsSync(bin)) {
    console.error(`eval:week: --bin ${bin} does not exist`);
    process.exit(2);
  }
  // The CLI runs in the repository: paths given relative to where the evaluator was started are resolved first.
  const abs = (p: string | undefined) => (p === undefined ? undefined : resolve(p));
  const e = await evaluate({ ...o, dir: resolve(values.dir ?? defaultDir(o)), fresh: values.fresh, bin, rules: abs(values.rules), config: abs(values.config), db: abs(values.db) });
  process.stdout.write(values.json ? JSON.stringify(e) + '\n' : formatReport(e) + '\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    console.error(`eval:week: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
