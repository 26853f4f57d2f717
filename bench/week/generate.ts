import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { AttackPlan } from './attacks.js';
import { FILES, INGRESS_PODS, WeekLog } from './log.js';
import { AddressRegistry, loadNetworks } from './networks.js';
import { backgroundDay } from './noise.js';
import { population, SERVICE_ACCOUNTS } from './people.js';
import { Rng } from './random.js';
import { localClock, Planner } from './schedule.js';
import { Traffic } from './traffic.js';
import type { AttackTruth, Truth } from './truth.js';
import { CompanyNets, DAY, HomeLineState, Locator } from './whereabouts.js';

/**
 * Generates one realistic week (Monday to Sunday, 2026-03-09 to 2026-03-15, UTC) of
 * OpenUnison logs for a company of N people, as the two replicas' files, and writes the
 * ground truth (truth.json) beside them. Deterministic: the same options write the same bytes.
 *
 *   node --import tsx bench/week/generate.ts [--users 300] [--days 7] [--seed 1] [--density 1] [--ingress] [--no-grace] [--out DIR]
 */

export const WEEK_START = Date.parse('2026-03-09T00:00:00Z');

export interface WeekOptions {
  users: number;
  days: number;
  seed: number;
  /** Multiplies how often people use the cluster (1 = the model's rates). */
  density: number;
  dir: string;
  /** OpenUnison behind an ingress that hides the clients: every logged address is one of INGRESS_PODS. */
  ingress?: boolean;
  /** OpenUnison's default grace period of 0: a client that loses a refresh race is refused at once. */
  noGrace?: boolean;
}

export const DEFAULTS = { users: 300, days: 7, seed: 1, density: 1 } as const;

/** The directory a week is written to when none is given: one per set of options, reused. */
export function defaultDir(o: Omit<WeekOptions, 'dir'>): string {
  return join(tmpdir(), 'ouwatch-week', `users${o.users}-days${o.days}-seed${o.seed}-density${o.density}${o.ingress === true ? '-ingress' : ''}${o.noGrace === true ? '-nograce' : ''}`);
}

/** Beside a week: the digest of the generator that wrote it (a cached week is reused only while it matches). */
export const STAMP_FILE = 'generator.sha1';
const HERE = dirname(fileURLToPath(import.meta.url));
const GENERATOR_SOURCES = ['attacks', 'generate', 'log', 'networks', 'noise', 'people', 'random', 'schedule', 'traffic', 'truth', 'whereabouts'];

export function generatorDigest(): string {
  const h = createHash('sha1');
  for (const name of GENERATOR_SOURCES) h.update(name).update(readFileSync(join(HERE, `${name}.ts`)));
  return h.digest('hex');
}

export function generateWeek(o: WeekOptions): Truth {
  const { users, days, seed, density, dir } = o;
  mkdirSync(dir, { recursive: true });
  rmSync(join(dir, STAMP_FILE), { force: true });
  const registry = new AddressRegistry();
  const nets = loadNetworks(registry);
  const people = population(Rng.of(seed, 'population'), users, (isp) => nets[isp].spec.country);
  const company = new CompanyNets(Rng.of(seed, 'company'), nets);
  const at = localClock(WEEK_START);
  // Planned before the home lines exist: a victim may need an IPv6 line.
  const attacks = new AttackPlan(seed, people, nets, days, at);
  const homes = people.map((p) => new HomeLineState(p, nets, seed, WEEK_START));
  const planner = new Planner(seed, WEEK_START, new Locator(seed, WEEK_START, nets, company, homes), attacks.requirements, attacks.quiets);
  const skewRng = Rng.of(seed, 'skew');
  const fromMs = skewRng.int(300, 1_500);
  // The ingress's choices draw from a stream of their own: the week is otherwise the same bytes.
  const ingress = o.ingress === true ? Rng.of(seed, 'ingress') : null;
  const log = new WeekLog(dir, WEEK_START, days, { fromMs, toMs: fromMs + skewRng.int(300, 1_800) }, ingress);
  const traffic = new Traffic(log, seed, density, attacks.watched, o.noGrace !== true);
  const planted: AttackTruth[] = [];
  for (let d = 0; d < days; d++) {
    for (const p of people) {
      homes[p.index].advance(d);
      traffic.day(p, d, planner.plan(p, d));
    }
    backgroundDay(log, seed, WEEK_START, d, nets);
    planted.push(...attacks.writeDay(d, { log, traffic, at }));
    log.flushBefore(d + 1);
  }
  log.close();

  const activeDays = (i: number) => [...(traffic.activeDays.get(i) ?? [])].sort((a, b) => a - b);
  const truth: Truth = {
    version: 1,
    generator: { seed, users, days, density, noGrace: o.noGrace === true, start: new Date(WEEK_START).toISOString(), end: new Date(WEEK_START + days * DAY).toISOString() },
    ingressPods: ingress === null ? null : [...INGRESS_PODS],
    files: [...FILES],
    lines: Object.fromEntries(FILES.map((f, i) => [f, log.lines[i]])),
    bytes: Object.fromEntries(FILES.map((f) => [f, statSync(join(dir, f)).size])),
    events: log.events,
    replicaSkewMs: { file: FILES[1], ...log.skew },
    userDays: people.reduce((n, p) => n + activeDays(p.index).length, 0),
    calendarUserDays: users * days,
    users: people.map((p) => ({
      dn: p.dn,
      profile: p.profile,
      country: p.country,
      homeIsp: p.home.isp,
      homeAsn: nets[p.home.isp].spec.asn,
      dailyNewAddress: p.home.changePerDay > 0.5,
      ipv6: p.home.ipv6,
      multiTool: p.multiTool,
      poller: p.poller,
      trip: p.trip ? p.trip.country : null,
      activeDays: activeDays(p.index),
      addresses: [...(traffic.firstUse.get(p.index) ?? new Map<string, number>())]
        .sort((a, b) => a[1] - b[1])
        .map(([ip, first]) => ({ ip, first: new Date(first).toISOString() })),
    })),
    serviceAccounts: SERVICE_ACCOUNTS.map((s) => s.dn),
    addresses: registry.all(),
    attacks: planted
      .sort((a, b) => Number(a.id.slice(1)) - Number(b.id.slice(1)))
      .map((a) => ({ ...a, lines: a.lines.map(({ file, text }) => ({ file, text })) })),
  };
  writeFileSync(join(dir, 'truth.json'), JSON.stringify(truth, null, 1) + '\n');
  // Written last, so an interrupted generation is never mistaken for a complete one.
  writeFileSync(join(dir, STAMP_FILE), generatorDigest());
  return truth;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      users: { type: 'string', default: String(DEFAULTS.users) },
      days: { type: 'string', default: String(DEFAULTS.days) },
      seed: { type: 'string', default: String(DEFAULTS.seed) },
      density: { type: 'string', default: String(DEFAULTS.density) },
      out: { type: 'string' },
      ingress: { type: 'boolean', default: false },
      'no-grace': { type: 'boolean', default: false },
    },
  });
  const o = { users: Number(values.users), days: Number(values.days), seed: Number(values.seed), density: Number(values.density), ingress: values.ingress, noGrace: values['no-grace'] };
  if (!Number.isInteger(o.users) || o.users < 10 || !Number.isInteger(o.days) || o.days < 1 || o.days > 7 || !Number.isInteger(o.seed) || !(o.density > 0)) {
    console.error('usage: generate.ts [--users N>=10] [--days 1..7] [--seed INT] [--density X>0] [--ingress] [--no-grace] [--out DIR]');
    process.exit(2);
  }
  const dir = resolve(values.out ?? defaultDir(o));
  const started = performance.now();
  const t = generateWeek({ ...o, dir });
  const lines = Object.values(t.lines).reduce((a, b) => a + b, 0);
  const mb = Object.values(t.bytes).reduce((a, b) => a + b, 0) / 1e6;
  console.log(
    `wrote ${lines.toLocaleString('en-US')} lines (${mb.toFixed(1)} MB) in ${((performance.now() - started) / 1000).toFixed(1)} s to ${dir}: ` +
      `${o.users} people, ${t.userDays.toLocaleString('en-US')} user-days, ${t.attacks.length} attacks`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) main();
