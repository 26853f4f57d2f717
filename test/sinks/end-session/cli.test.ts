import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { parseAllDocuments, stringify } from 'yaml';
import type { ActionRecord } from '../../../src/core/actions.js';
import { dnSha1 } from '../../../src/core/identity.js';
import { ActionStore } from '../../../src/store/sqlite/actions.js';
import { openDatabase } from '../../../src/store/sqlite/database.js';
import { dnKeyOf } from '../../../src/store/sqlite/user-key.js';
import { HOSTILE_DNS, makeAlert } from '../../helpers/alerts.js';
import { tempDir } from '../../helpers/tmp.js';
import { harness } from '../../helpers/delivery.js';
import { runCli } from '../../helpers/cli.js';
import { KubeApiStandIn, writeKubeconfig } from '../../helpers/kube-api-standin-sessions.js';

// `ouwatch endsession` and `ouwatch actions` as real child processes; --apply talks to the
// Kubernetes API stand-in through KUBECONFIG.
const api = new KubeApiStandIn();
const dir = tempDir();
let env: Record<string, string> = {};
let n = 0;
const db = () => join(dir, `c${++n}.db`);

/** A db whose history knows `dn` (an --apply for a DN never seen needs --force). */
function dbThatSaw(...dns: string[]): string {
  const path = db();
  const d = openDatabase(path);
  for (const dn of dns) d.prepare(`INSERT INTO users (dn, dn_key, dn_sha1, first_seen, last_seen, counts, success_count) VALUES (?, ?, ?, 0, 0, '{}', 0)`).run(dn, dnKeyOf(dn), dnSha1(dn));
  d.close();
  return path;
}

before(async () => {
  env = { KUBECONFIG: writeKubeconfig(dir, { prod: await api.start() }, 'prod'), USER: 'alice' };
});
after(() => api.stop());
beforeEach(() => api.reset());

describe('ouwatch endsession (without --apply)', () => {
  test('prints one EndSession document for kubectl apply -f -, with the delete command as a comment, and calls nothing', async () => {
    const r = await runCli(['endsession', 'uid=mmosley,ou=shadow,o=Tremolo', '--db', db()], { env });
    assert.equal(r.code, 0, r.stderr);
    const docs = parseAllDocuments(r.stdout);
    assert.equal(docs.length, 1);
    const doc = docs[0].toJS() as { apiVersion: string; kind: string; metadata: { name: string; namespace: string }; spec: { dn: string } };
    assert.equal(doc.apiVersion, 'openunison.tremolo.io/v1');
    assert.equal(doc.kind, 'EndSession');
    assert.equal(doc.metadata.namespace, 'openunison');
    assert.match(doc.metadata.name, /^ouwatch-manual-[0-9a-f]{16}$/);
    assert.deepEqual(doc.spec, { dn: 'uid=mmosley,ou=shadow,o=Tremolo' });
    assert.match(r.stdout, /^# +kubectl delete oidc-sessions -l tremolo\.io\/user-dn=5204c08a79c11dbdc2fdda1e07bc866fb4f22888 -n openunison$/m);
    assert.match(r.stderr, /recorded as action 1 \(dry-run, by alice\)/);
    assert.equal(api.requests.length, 0);
  });

  // (every hostile DN goes through endSessionYaml in manifest.test.ts; here the command line end to end)
  for (const dn of [HOSTILE_DNS[1], HOSTILE_DNS[2], HOSTILE_DNS[5]]) {
    test(`hostile DN ${JSON.stringify(dn)}: the YAML on stdout gives it back exactly`, async () => {
      const r = await runCli(['endsession', dn, '--db', db(), '--namespace', 'idp', '--context', "o'prod"], { env });
      assert.equal(r.code, 0, r.stderr);
      const docs = parseAllDocuments(r.stdout);
      assert.equal(docs.length, 1);
      assert.equal((docs[0].toJS() as { spec: { dn: string } }).spec.dn, dn);
      assert.ok(r.stdout.includes(`# 2. end web sessions: apply this document (kubectl --context 'o'\\''prod' apply -f -)`), r.stdout);
      assert.ok(r.stdout.includes(`-l tremolo.io/user-dn=${dnSha1(dn)} -n idp`));
    });
  }

  test('refuses a namespace that is not an RFC 1123 label, and a non-user DN (exit 2)', async () => {
    const bad = await runCli(['endsession', 'uid=a,o=T', '--namespace', 'Open Unison', '--db', db()], { env });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /namespace "Open Unison" is not a valid Kubernetes namespace/);
    const none = await runCli(['endsession', 'cn=none', '--db', db()], { env });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /not a user's DN/);
  });
});

describe('ouwatch endsession --apply', () => {
  test('ends the sessions through the API, in order, and records the action by the person', async () => {
    const dn = HOSTILE_DNS[1];
    const path = dbThatSaw(dn);
    api.addSession('openunison', 's1', dnSha1(dn));
    const r = await runCli(['endsession', dn, '--apply', '--db', path], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^sessions ended: 1 oidc-session deleted, EndSession openunison\/ouwatch-manual-[0-9a-f]{16} created \(action 1, by alice\)$/m);
    assert.deepEqual(api.requests.map((q) => q.method), ['DELETE', 'POST']);
    assert.equal((api.requests[1].body as { spec: { dn: string } }).spec.dn, dn);
    const show = await runCli(['actions', 'show', '1', '--json', '--db', path]);
    const a = JSON.parse(show.stdout) as ActionRecord;
    assert.equal(a.byKind, 'person');
    assert.equal(a.by, 'alice');
    assert.equal(a.dn, dn);
    assert.equal(a.mode, 'apply');
    assert.equal(a.status, 'done');
    assert.deepEqual(a.steps.map((s) => [s.step, s.code]), [['delete-oidc-sessions', 200], ['create-endsession', 201]]);
  });

  test('--context picks the cluster; --by names the person', async () => {
    const other = new KubeApiStandIn();
    const kc = writeKubeconfig(tempDir(), { prod: api.url, satellite: await other.start() }, 'prod');
    try {
      const r = await runCli(['endsession', 'uid=a,o=Tremolo', '--apply', '--context', 'satellite', '--by', 'bob', '--db', dbThatSaw('uid=a,o=Tremolo')], { env: { KUBECONFIG: kc } });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(api.requests.length, 0);
      assert.equal(other.requests.length, 2);
      assert.match(r.stdout, /by bob/);
    } finally {
      await other.stop();
    }
  });

  test('missing RBAC (403): exit 1 with a clear message, recorded as failed', async () => {
    const path = dbThatSaw('uid=a,o=Tremolo');
    api.failNext('delete', 403);
    const r = await runCli(['endsession', 'uid=a,o=Tremolo', '--apply', '--db', path], { env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /ending the sessions of "uid=a,o=Tremolo" failed \(action 1, 1 attempt\): .*HTTP 403 Forbidden.*deploy\/kustomize\/base\/responder-role\.yaml/);
    const list = await runCli(['actions', 'list', '--json', '--db', path]);
    const [a] = list.stdout.trim().split('\n').map((l) => JSON.parse(l) as ActionRecord);
    assert.equal(a.status, 'failed');
    assert.match(a.error!, /403/);
  });

  test('a 500 is retried and then succeeds', async () => {
    api.failNext('create', 500);
    const r = await runCli(['endsession', 'uid=a,o=Tremolo', '--apply', '--db', dbThatSaw('uid=a,o=Tremolo')], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /attempt 1 failed, retrying/);
    assert.deepEqual(api.requests.map((q) => q.method), ['DELETE', 'POST', 'POST']);
  });

  test('a DN on the never-end list is refused without --force', async () => {
    const config = join(dir, 'never.yaml');
    writeFileSync(config, stringify({ respond: { guards: { neverEnd: { dns: ['uid=root,o=Tremolo'] } } } }));
    const r = await runCli(['endsession', 'uid=root,o=Tremolo', '--apply', '--config', config, '--db', dbThatSaw('uid=root,o=Tremolo')], { env });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /protected by the never-end list \(break-glass\): not ended; pass --force/);
    assert.equal(api.requests.length, 0);
    const forced = await runCli(['endsession', 'uid=root,o=Tremolo', '--apply', '--force', '--config', config, '--db', dbThatSaw('uid=root,o=Tremolo')], { env });
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(api.requests.length, 2);
  });

  test('a DN never seen in the logs (a typo): a warning with the similar DNs; --apply refused without --force', async () => {
    const path = dbThatSaw('uid=mmosley,ou=shadow,o=Tremolo');
    const typo = 'uid=MMosley,ou=shadow,o=Tremolo';
    const dry = await runCli(['endsession', typo, '--db', path], { env });
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stderr, /^ouwatch: warning: "uid=MMosley,ou=shadow,o=Tremolo" was never seen in .*; similar: "uid=mmosley,ou=shadow,o=Tremolo"$/m);
    const r = await runCli(['endsession', typo, '--apply', '--db', path], { env });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^ouwatch: "uid=MMosley,ou=shadow,o=Tremolo" was never seen in the logs \(similar: "uid=mmosley,ou=shadow,o=Tremolo"\): not ended; check the DN, or pass --force to end it anyway\n$/);
    assert.equal(api.requests.length, 0);
    const forced = await runCli(['endsession', typo, '--apply', '--force', '--db', path], { env });
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(api.requests.length, 2);
  });

  test('--json prints the manifest and the recorded action as one object', async () => {
    const r = await runCli(['endsession', 'uid=a,o=Tremolo', '--json', '--db', dbThatSaw('uid=a,o=Tremolo')], { env });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { manifest: string; action: ActionRecord };
    assert.match(out.manifest, /kind: EndSession/);
    assert.deepEqual([out.action.mode, out.action.status, out.action.by], ['dry-run', 'planned', 'alice']);
  });

  test('no Kubernetes configuration: exit 2 and nothing recorded', async () => {
    const path = dbThatSaw('uid=a,o=Tremolo');
    const r = await runCli(['endsession', 'uid=a,o=Tremolo', '--apply', '--db', path], { env: { KUBECONFIG: join(dir, 'missing') } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot load the Kubernetes configuration/);
  });
});

describe('ouwatch actions', () => {
  test('list (NDJSON, newest first), show, and a readable table that quotes DNs', async () => {
    const path = db();
    const store = openDatabase(path);
    const actions = new ActionStore(store);
    for (const dn of ['uid=first,o=Tremolo', 'uid=evil\u001b[31m,o=Tremolo']) {
      actions.insert({ action: 'end-session', alertId: null, byKind: 'person', by: 'alice', mode: 'dry-run', dn, dnSha1: dnSha1(dn), name: 'x', namespace: 'openunison', context: null, status: 'planned' }, Date.now());
    }
    store.close();
    const json = await runCli(['actions', '--json', '--db', path]);
    assert.equal(json.code, 0, json.stderr);
    const list = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as ActionRecord);
    assert.deepEqual(list.map((a) => [a.id, a.dn]), [[2, 'uid=evil\u001b[31m,o=Tremolo'], [1, 'uid=first,o=Tremolo']]);
    const table = await runCli(['actions', 'list', '--db', path]);
    assert.ok(!table.stdout.includes('\u001b'), 'no terminal escape from a DN');
    assert.ok(table.stdout.includes('"uid=evil\\u001b[31m,o=Tremolo"'), table.stdout);
    const missing = await runCli(['actions', 'show', '99', '--db', path]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no action 99/);
  });

  test('reset-breaker closes an open breaker, recorded by the person; automatic actions resume', async () => {
    const name = `breaker${++n}.db`;
    const h = harness(dir, { respond: { guards: { budgetPerHour: 1, cooldownMinutes: 0 } } }, { dbName: name });
    h.raise(makeAlert({ dn: 'uid=u1,o=T' }), makeAlert({ dn: 'uid=u2,o=T' }));
    assert.ok(h.delivery.actions.breakerOpenedBy(), 'the breaker is open');
    await h.close();
    const r = await runCli(['actions', 'reset-breaker', '--db', join(dir, name)], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /response breaker reset \(action \d+, by alice\): automatic actions resume/);
    const again = await runCli(['actions', 'reset-breaker', '--db', join(dir, name)], { env });
    assert.match(again.stderr, /not open: nothing to reset/);
    const h2 = harness(dir, { respond: { guards: { budgetPerHour: 5, cooldownMinutes: 0 } } }, { dbName: name });
    const later = makeAlert({ dn: 'uid=u3,o=T' });
    h2.raise(later);
    assert.equal(later.response!.status, 'planned');
    const reset = h2.delivery.actions.list().find((a) => a.action === 'breaker-reset')!;
    assert.equal(reset.byKind, 'person');
    assert.equal(reset.by, 'alice');
  });
});
