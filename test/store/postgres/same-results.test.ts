import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { configSchema } from '../../../src/app/config.js';
import { replayFiles } from '../../../src/app/replay.js';
import { createRuntime, type PipelineLimits } from '../../../src/app/runtime.js';
import { errorsOnly, stderrLog } from '../../../src/core/log.js';
import { runCli, SAMPLE_LOGS } from '../../helpers/cli.js';
import { ALICE, H, SE, T0, US, az, history, rulesDir } from '../../detect/helpers.js';
import { startPostgres } from '../../helpers/postgres.js';
import { dumpPostgres, dumpSqlite, type Dump } from '../../helpers/store-dump.js';
import { logoutLine, logStamp } from '../../helpers/lines.js';
import { replayResponding } from '../../helpers/respond.js';
import { openPool } from '../../../src/store/postgres/connection.js';
import { PgActionStore } from '../../../src/store/postgres/actions.js';
import { ActionStore } from '../../../src/store/sqlite/actions.js';
import { openDatabase } from '../../../src/store/sqlite/database.js';
import { MONTH_READ_AHEAD, MONTH_USERS, writeAddressMonth } from '../../helpers/address-month.js';
import { writeAddressSpray } from '../../helpers/address-spray.js';
import { tempDir } from '../../helpers/tmp.js';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/rules/', import.meta.url));
const RULE_FIXTURES = readdirSync(FIXTURES)
  .flatMap((rule) => readdirSync(join(FIXTURES, rule)).filter((f) => f.endsWith('.log')).map((f) => join(FIXTURES, rule, f)))
  .sort();

/** One fixed wall clock: actions and outbox items carry it, so both stores get the same rows. */
const NOW = Date.parse('2026-03-04T00:00:00Z');

/**
 * Responses on (dry-run, for every rule at medium or above, no cooldown, a budget of 3 an hour so the
 * breaker opens) and a JSONL sink: the commit hooks record actions, outbox items, responses and
 * the breaker's alert, and those must come out the same on both stores too.
 */
function configFor(db: string, dir: string) {
  return configSchema.parse({
    store: { path: db },
    respond: { mode: 'dry-run', guards: { requireRuleOptIn: false, minSeverity: 'medium', maxAlertAgeMinutes: null, maxFutureSkewMinutes: null, cooldownMinutes: 0, budgetPerHour: 3 } },
    notify: { jsonl: { path: join(dir, 'alerts.jsonl'), minSeverity: 'low' } },
  });
}

async function replayInto(db: string, dir: string, logs: string[]): Promise<void> {
  const runtime = await createRuntime(configFor(db, dir), { command: 'replay', log: errorsOnly(stderrLog()), now: () => NOW });
  try {
    await replayFiles(logs, runtime);
  } finally {
    await runtime.close();
  }
}

/** Alerts of the sample replayed with a commit every 1,000 lines: repeats land on alerts already stored. */
async function alertsWithCommits(db: string, dir: string) {
  const config = configFor(db, dir);
  config.store.commitEvery = 1000;
  const runtime = await createRuntime(config, { command: 'replay', log: errorsOnly(stderrLog()), now: () => NOW });
  try {
    await replayFiles([...SAMPLE_LOGS], runtime);
  } finally {
    await runtime.close();
  }
}

async function organisationOf(db: string, dir: string) {
  const runtime = await createRuntime(configFor(db, dir), { command: 'replay', log: errorsOnly(stderrLog()), now: () => NOW });
  try {
    return await runtime.store.loadOrganisation(1000);
  } finally {
    await runtime.close();
  }
}

/** A replay with history's memory bounded (`limits`) and a commit every `commitEvery` lines: what it let go from memory and read back. */
async function replayWithLimits(db: string, dir: string, log: string, limits: PipelineLimits, commitEvery: number) {
  const config = configFor(db, dir);
  config.store.commitEvery = commitEvery;
  const runtime = await createRuntime(config, { command: 'replay', log: errorsOnly(stderrLog()), now: () => NOW, limits });
  try {
    await replayFiles([log], runtime);
    return runtime.history.addressMemory;
  } finally {
    await runtime.close();
  }
}

function nonEmpty(d: Dump): string[] {
  return Object.entries(d).filter(([, rows]) => rows.length > 0).map(([t]) => t);
}

const pg = await startPostgres();

test('evidence appended by repeats to alerts already stored (a commit every 1,000 lines) is the same on both stores', async () => {
  const dir = tempDir();
  const sqlite = join(dir, 'commits.db');
  const url = pg.url(await pg.createDatabase('commits'));
  await alertsWithCommits(sqlite, dir);
  await alertsWithCommits(url, dir);
  const a = dumpSqlite(sqlite).alerts;
  assert.deepEqual((await dumpPostgres(url)).alerts, a);
  // Repeats did land on stored alerts: some alert holds evidence from after its first commit.
  assert.ok(a.some((x) => JSON.parse(String(x.evidence)).length > 5), 'some alert gathered evidence over several commits');
});

test('logout lines confirm the same end-session actions on both stores (the first line in each window)', async () => {
  const dir = tempDir();
  const attack = join(FIXTURES, 'refresh-token-replay', 'replayed-from-new-address.log');
  const logout = (dn: string, t: number) => logoutLine(dn, { time: logStamp(t) });
  const later = join(dir, 'later.log');
  // mmosley twice (the first confirms), and someone with no action.
  writeFileSync(later, [logout('uid=mmosley,ou=shadow,o=Tremolo', NOW + 30_000), logout('uid=nobody,o=Tremolo', NOW + 31_000), logout('uid=mmosley,ou=shadow,o=Tremolo', NOW + 45_000)].join('\n') + '\n');
  const run = (db: string, files: string[]) => replayResponding(db, files, { manifestDir: join(dir, 'manifests'), now: NOW });
  const sqlite = join(dir, 'confirm.db');
  const url = pg.url(await pg.createDatabase('confirm'));
  // The action is carried out (as the outbox would record it); until a logout line is read it is unconfirmed on both.
  const unconfirmed = async (db: string): Promise<number[]> => {
    if (db === sqlite) {
      const handle = openDatabase(db);
      try {
        const actions = new ActionStore(handle);
        actions.update(1, { status: 'done' }, NOW + 1_000);
        return actions.unconfirmedEndSessions(NOW - 1, NOW + 1).map((a) => a.id);
      } finally {
        handle.close();
      }
    }
    const pool = openPool({ url: db, password: null }, 1);
    try {
      const actions = new PgActionStore(pool);
      await actions.update(1, { status: 'done' }, NOW + 1_000);
      return (await actions.unconfirmedEndSessions(NOW - 1, NOW + 1)).map((a) => a.id);
    } finally {
      await pool.end();
    }
  };
  for (const db of [sqlite, url]) {
    await run(db, [attack]);
    assert.deepEqual(await unconfirmed(db), [1], db === sqlite ? 'SQLite' : 'PostgreSQL');
    await run(db, [later]);
    assert.deepEqual(await unconfirmed(db), [], db === sqlite ? 'SQLite' : 'PostgreSQL');
  }
  const a = dumpSqlite(sqlite).actions;
  assert.deepEqual((await dumpPostgres(url)).actions, a);
  assert.deepEqual(
    a.map((r) => JSON.parse(String(r.confirmed)).time),
    ['2026-03-04T00:00:30.000Z'],
  );
});

test('addresses let go from memory are read back the same from both stores (a month, a two-day window)', async () => {
  const dir = tempDir();
  const log = join(dir, 'month.log');
  writeAddressMonth(log);
  const run = (db: string) => replayWithLimits(db, dir, log, { addressesKeptFor: 2 * 86_400_000, readAhead: MONTH_READ_AHEAD }, 2_000);
  const sqlite = join(dir, 'month.db');
  const url = pg.url(await pg.createDatabase('month'));
  const fromSqlite = await run(sqlite);
  const fromPostgres = await run(url);
  for (const r of [fromSqlite, fromPostgres]) assert.ok(r.readBack >= MONTH_USERS * 5, `both read addresses back (${fromSqlite.readBack}, ${fromPostgres.readBack})`);
  const a = dumpSqlite(sqlite);
  const b = await dumpPostgres(url);
  for (const table of ['users', 'user_ips', 'user_countries', 'alerts']) assert.deepEqual(b[table], a[table], `table ${table}`);
});

test('a sprayed user loaded again after a restart, without the addresses that never succeeded, comes out the same from both stores', async () => {
  const dir = tempDir();
  const [spray, back] = [join(dir, 'spray.log'), join(dir, 'back.log')];
  writeAddressSpray(spray, back);
  const run = (db: string, log: string) => replayWithLimits(db, dir, log, { maxAddressesHeld: 64 }, 200);
  const sqlite = join(dir, 'spray.db');
  const url = pg.url(await pg.createDatabase('spray'));
  for (const db of [sqlite, url]) {
    assert.ok((await run(db, spray)).letGo > 2_500, 'the spray was let go');
    assert.ok((await run(db, back)).readBack >= 3, 'and read back after the restart');
  }
  const a = dumpSqlite(sqlite);
  const b = await dumpPostgres(url);
  for (const table of ['users', 'user_ips', 'user_countries', 'alerts']) assert.deepEqual(b[table], a[table], `table ${table}`);
});

test('closed as benign after the address it quarantined aged out of memory: both stores read it back at the close and learn its country', async () => {
  const dir = tempDir();
  const rules = rulesDir(join(dir, 'r'), ['new-country']);
  const later = T0 + 3 * H;
  const home = (d: number) => `89.160.20.${10 + d}`;
  const days = Array.from({ length: 10 }, (_, d) => az(later + (d + 1) * 24 * H, ALICE, home(d)));
  const sqlite = join(dir, 'aged.db');
  const url = pg.url(await pg.createDatabase('aged'));
  for (const db of [sqlite, url]) {
    // The same path for both (evidence names it): written afresh for each store.
    const log = join(dir, 'aged.log');
    const config = configFor(db, dir);
    config.detect.rulesDir = rules;
    config.store.commitEvery = 4;
    const runtime = await createRuntime(config, { command: 'replay', log: errorsOnly(stderrLog()), now: () => NOW, limits: { addressesKeptFor: 2 * 24 * H } });
    try {
      writeFileSync(log, [...history(ALICE, SE), az(later, ALICE, US), ...days].join('\n') + '\n');
      await replayFiles([log], runtime);
      const alerts = await runCli(['alerts', 'list', '--json', '--db', db]);
      const alert = JSON.parse(alerts.stdout.split('\n')[0]) as { id: string; rule: string };
      assert.equal(alert.rule, 'new-country');
      const closed = await runCli(['alerts', 'close', alert.id, '--benign', '--db', db]);
      assert.equal(closed.code, 0, closed.stderr);
      const readBack = runtime.history.addressMemory.readBack;
      appendFileSync(log, az(later + 12 * 24 * H, ALICE, '216.160.83.60') + '\n');
      await replayFiles([log], runtime);
      assert.equal(runtime.history.addressMemory.readBack, readBack + 1, `${db === sqlite ? 'SQLite' : 'PostgreSQL'}: read back at the close`);
    } finally {
      await runtime.close();
    }
  }
  const a = dumpSqlite(sqlite);
  const b = await dumpPostgres(url);
  assert.equal(a.alerts.length, 1, 'no new-country alert for a country closed as hers');
  for (const table of ['users', 'user_ips', 'user_countries', 'alerts']) assert.deepEqual(b[table], a[table], `table ${table}`);
});

describe('PostgreSQL and SQLite: the same input gives the same rows', () => {
  for (const [name, logs] of [
    ['the sample (two replicas)', SAMPLE_LOGS],
    ['every rule fixture, in one replay', RULE_FIXTURES],
  ] as const) {
    test(name, async () => {
      const dir = tempDir();
      const sqlite = join(dir, 'ouwatch.db');
      const url = pg.url(await pg.createDatabase('same'));
      await replayInto(sqlite, dir, [...logs]);
      await replayInto(url, dir, [...logs]);
      const a = dumpSqlite(sqlite);
      const b = await dumpPostgres(url);
      for (const table of Object.keys(a)) assert.deepEqual(b[table], a[table], `table ${table}`);
      // The comparison means something: history, alerts, incidents, actions and the outbox were written.
      for (const t of ['users', 'user_ips', 'sessions', 'alerts', 'incidents', 'incident_alerts', 'actions', 'outbox', 'checkpoints']) assert.ok(nonEmpty(a).includes(t), `${t} is empty`);
      assert.ok(a.alerts.some((x) => x.rule === 'response-budget-exceeded'), 'the breaker opened (its alert is compared too)');
      // The organisation's places, as a restart reads them back, are the same on both.
      const [fromSqlite, fromPostgres] = [await organisationOf(sqlite, dir), await organisationOf(url, dir)];
      assert.deepEqual(fromPostgres, fromSqlite);
      assert.ok(fromSqlite.some((r) => r.kind === 'country' && r.users >= 2), 'some country has two users');
    });
  }
});
