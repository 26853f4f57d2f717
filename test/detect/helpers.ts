import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { parseDocument } from 'yaml';
import { createRuntime, type PipelineLimits, type Runtime } from '../../src/app/runtime.js';
import { BUNDLED_RULES_DIR } from '../../src/app/rule-dirs.js';
import { loadConfig, type Config } from '../../src/app/config.js';
import { replayFiles, type ReplayReport } from '../../src/app/replay.js';
import type { StoredAlert } from '../../src/core/alerts.js';
import { AlertStore } from '../../src/store/sqlite/alerts.js';

/** Builders for OpenUnison log lines, in OpenUnison's exact layouts (docs/openunison.md). */
export const T0 = Date.parse('2026-03-02T08:00:00Z');
export const SEC = 1000;
export const MIN = 60 * SEC;
export const H = 60 * MIN;

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
export function stamp(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())},${pad(d.getUTCMilliseconds(), 3)}`;
}

export const HOST = 'https://k8sou.example.com';
export const TOKEN_URL = `${HOST}/auth/idp/k8sIdp/token`;
const SESSION = 'f' + 'ab12'.repeat(10);

export const ALICE = 'uid=alice,ou=users,o=Tremolo';
export const BOB = 'uid=bob,ou=users,o=Tremolo';
export const MM = 'uid=mmosley,ou=shadow,o=Tremolo';
export const NONE = 'cn=none';
export const ANON = 'uid=Anonymous,o=Tremolo';
/** Addresses and where geoip-lite puts them. */
export const SE = '89.160.20.112'; // Stockholm
/** Another address of SE's /24 (Bredband2): the same network. */
export const SE2 = '89.160.20.201';
/** Bredband2 again, another /24: a new network inside a known ASN and country. */
export const SE_POOL = '89.160.30.5';
/** A Swedish home line of another ISP (Telia, AS3301): a new network and ASN, a known country. */
export const SE_HOME = '81.224.10.5';
export const GB = '81.2.69.142'; // St Albans
export const US = '216.160.83.56'; // Poulsbo, WA
export const RU = '5.255.255.5'; // Moscow
export const CN = '175.16.199.5';
export const PRIV = '10.1.2.3';

interface LineOpts {
  thread?: string;
  url?: string;
  app?: string;
  session?: string;
}

export function access(ts: number, type: string, dn: string, ip: string, o: LineOpts = {}): string {
  return `[${stamp(ts)}][${o.thread ?? 'XNIO-1 task-1'}] INFO  AccessLog - [${type}] - ${o.app ?? 'k8s-api'} - ${o.url ?? `${HOST}/api/v1/pods`} - ${dn} - k8s-users [${ip}] - [${o.session ?? SESSION}]`;
}
export const az = (ts: number, dn: string, ip: string, o?: LineOpts) => access(ts, 'AzSuccess', dn, ip, o);
export const au = (ts: number, dn: string, ip: string, o?: LineOpts) => access(ts, 'AuSuccess', dn, ip, o);
export const azFail = (ts: number, dn: string, ip: string, o?: LineOpts) => access(ts, 'AzFail', dn, ip, o);
export const auFail = (ts: number, ip: string, o?: LineOpts) => access(ts, 'AuFail', NONE, ip, o);
export function expired(ts: number, dn: string, ip: string, o: LineOpts = {}): string {
  return `[${stamp(ts)}][${o.thread ?? 'XNIO-1 task-2'}] INFO  OpenIDConnectIdP - [ExpiredRefreshTokenUsed] - ${TOKEN_URL} - ${dn} - Expired token used within grace period [${ip}] - [${o.session ?? SESSION}]`;
}
export function idpWarn(ts: number, thread: string, msg = 'Session does not exist from refresh_token'): string {
  return `[${stamp(ts)}][${thread}] WARN  OpenIDConnectIdP - ${msg}`;
}

/** `n` successes of `dn` from `ip`, `every` ms apart, starting at `from`: a learnt user. */
export function history(dn: string, ip: string, n = 12, every = 10 * MIN, from = T0): string[] {
  return Array.from({ length: n }, (_, i) => az(from + i * every, dn, ip));
}

/** A scratch directory removed by `done()`. */
export function scratch(): { dir: string; path(name: string): string; done(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'ouwatch-test-'));
  return { dir, path: (name) => join(dir, name), done: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Every rule shipped in rules/. */
export const SHIPPED_RULES = [
  'refresh-token-replay',
  'refresh-token-grace-burst',
  'stale-refresh-token',
  'invalid-client-secret',
  'new-source-ip',
  'new-country',
  'impossible-travel',
  'session-moved',
  'auth-failure-burst',
  'auth-failure-spray',
  'auth-failure-distributed-spray',
  'auth-success-after-failures',
  'authz-failure-burst',
  'authz-probing',
  'ip-not-allowed',
];

/**
 * A rules directory holding copies of the shipped rules `ids` (all of them by default), with
 * field overrides per rule: `{ 'auth-failure-burst': { params: { threshold: 3 } } }`. Written
 * with the YAML library, as a person would edit the files.
 */
export function rulesDir(dir: string, ids?: string[], overrides: Record<string, Record<string, unknown>> = {}): string {
  const out = join(dir, 'rules');
  mkdirSync(out, { recursive: true });
  const all = SHIPPED_RULES;
  for (const id of ids ?? all) {
    const src = join(BUNDLED_RULES_DIR, `${id}.yaml`);
    const dst = join(out, `${id}.yaml`);
    const change = overrides[id];
    if (change === undefined) {
      copyFileSync(src, dst);
      continue;
    }
    const doc = parseDocument(readFileSync(src, 'utf8'));
    for (const [key, value] of Object.entries(change)) {
      if (key === 'params' && typeof value === 'object' && value !== null) {
        for (const [p, v] of Object.entries(value)) doc.setIn(['params', p], v);
      } else doc.set(key, value);
    }
    writeFileSync(dst, doc.toString());
  }
  return out;
}

export interface Detected {
  alerts: StoredAlert[];
  report: ReplayReport;
  warning: string | null;
}

/**
 * Replays `files` (or lines, written to one file) through the real pipeline (createRuntime +
 * replayFiles) into `db` with the rules in `rules`, and returns every stored alert, oldest
 * first. `tune` adjusts the configuration (incident threshold, networks...).
 */
export async function detect(dbPath: string, rules: string, input: string[] | { files: string[] }, logPath = dbPath + '.log', tune?: (c: Config) => void): Promise<Detected> {
  let files: string[];
  if (Array.isArray(input)) {
    writeFileSync(logPath, input.join('\n') + '\n');
    files = [logPath];
  } else files = input.files;
  const rt = await runtimeFor(dbPath, rules, tune);
  try {
    const report = await replayFiles(files, rt);
    return { alerts: allAlerts(rt), report, warning: rt.detection.visibility.warning() };
  } finally {
    await rt.close();
  }
}

/** A runtime on the SQLite file `dbPath` with the rules in `rules`, and what memory may hold lowered by `limits` (close it). */
export function runtimeFor(dbPath: string, rules: string, tune?: (c: Config) => void, limits?: PipelineLimits): Promise<Runtime> {
  const config = loadConfig();
  config.store.path = dbPath;
  config.detect.rulesDir = rules;
  tune?.(config);
  return createRuntime(config, { limits });
}

export function allAlerts(rt: Runtime): StoredAlert[] {
  return new AlertStore(rt.db).list().sort((a, b) => a.time.localeCompare(b.time) || a.rule.localeCompare(b.rule) || a.id.localeCompare(b.id));
}

/** `rule dn ip` of each alert, for compact assertions. */
export function keys(alerts: StoredAlert[]): string[] {
  return alerts.map((a) => `${a.rule} ${a.dn ?? '-'} ${a.ip ?? '-'}`);
}

/** An incident row as stored, with its alerts oldest first (as the incident store lists them). */
export interface IncidentRow {
  id: string;
  key: string;
  dn: string | null;
  ip: string | null;
  status: string;
  severity: string;
  risk: number;
  rules: string[];
  alertIds: string[];
  firstTime: string;
  lastTime: string;
}

/** The incidents stored in the db at `path` (read-only), oldest first. */
export function storedIncidents(path: string): IncidentRow[] {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT * FROM incidents ORDER BY first_time, id').all() as Array<Record<string, unknown>>;
    const links = db
      .prepare('SELECT ia.alert_id FROM incident_alerts ia JOIN alerts a ON a.id = ia.alert_id WHERE ia.incident_id = ? ORDER BY a.time, a.id')
      .pluck();
    return rows.map((r) => ({
      id: r.id as string,
      key: r.key as string,
      dn: r.dn as string | null,
      ip: r.ip as string | null,
      status: r.status as string,
      severity: r.severity as string,
      risk: r.risk as number,
      rules: JSON.parse(r.rules as string) as string[],
      alertIds: links.all(r.id) as string[],
      firstTime: new Date(r.first_time as number).toISOString(),
      lastTime: new Date(r.last_time as number).toISOString(),
    }));
  } finally {
    db.close();
  }
}
