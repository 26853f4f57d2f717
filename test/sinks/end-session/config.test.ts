import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../../src/app/config.js';
import { tempDir } from '../../helpers/tmp.js';
import { runCli } from '../../helpers/cli.js';

const dir = tempDir();
let n = 0;
function file(text: string): string {
  const f = join(dir, `c${++n}.yaml`);
  writeFileSync(f, text);
  return f;
}
function problems(text: string): string[] {
  const f = file(text);
  try {
    loadConfig(f);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    assert.equal(err.file, f);
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}

describe('respond and notify configuration', () => {
  test('defaults: response dry-run with every guard on, notifications off', () => {
    const c = loadConfig(file(''));
    assert.equal(c.respond.mode, 'dry-run');
    assert.equal(c.respond.namespace, 'openunison');
    assert.deepEqual(c.respond.guards, {
      requireRuleOptIn: true,
      minSeverity: 'high',
      neverEnd: { dns: [], patterns: [] },
      cooldownMinutes: 60,
      budgetPerHour: 10,
      maxAlertAgeMinutes: 60,
      maxFutureSkewMinutes: 5,
    });
    assert.equal(c.notify.email, undefined);
    assert.deepEqual(c.notify.webhooks, []);
    assert.equal(c.notify.jsonl, undefined);
  });

  test('bad values name the field and the expectation', () => {
    assert.match(problems('respond: { mode: aply }').join(), /^respond\.mode: .*"off".*"dry-run".*"manifest".*"apply"/);
    assert.deepEqual(problems('respond: { mode: manifest }'), ['respond.manifestDir: expected a directory when mode is manifest']);
    assert.deepEqual(problems('respond: { gaurds: {} }'), ["respond: unknown field 'gaurds'"]);
    assert.match(problems('respond: { namespace: Open_Unison }').join(), /respond\.namespace: expected a Kubernetes namespace/);
    assert.match(problems('respond: { guards: { minSeverity: urgent } }').join(), /respond\.guards\.minSeverity/);
    assert.match(problems('notify: { email: { host: smtp.example.org, from: a@example.org } }').join(), /notify\.email\.to/);
    assert.match(problems('notify: { email: { host: h, from: a@b, to: [c@d], user: u } }').join(), /notify\.email\.passwordEnv: expected password or passwordEnv when user is set/);
    assert.match(problems('notify: { email: { host: h, from: a@b, to: [c@d], user: u, passwordEnv: OUWATCH_UNSET_VARIABLE_X } }').join(), /notify\.email\.passwordEnv: environment variable OUWATCH_UNSET_VARIABLE_X is not set/);
    assert.match(problems('notify: { webhooks: [ { url: "https://siem.example/hook" } ] }').join(), /notify\.webhooks\[0\]\.secretEnv: expected secret or secretEnv: json webhooks are signed/);
    assert.match(problems('notify: { webhooks: [ { url: "ftp://x/y", format: slack } ] }').join(), /notify\.webhooks\[0\]\.url/);
    assert.match(problems('notify: { webhooks: [ { name: a, url: "https://x/1", format: slack }, { name: a, url: "https://x/2", format: slack } ] }').join(), /notify\.webhooks\[1\]\.name: expected a unique name/);
  });

  test('the command line stops on a bad config with one line and exit code 2', async () => {
    const r = await runCli(['endsession', 'uid=a,o=T', '--config', file('respond: { mode: aply }'), '--db', join(dir, 'x.db')]);
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /respond\.mode/);
  });

  test('apply mode without a Kubernetes configuration stops a replay before it reads anything (exit 2)', async () => {
    const log = join(dir, 'one.log');
    writeFileSync(log, '[2022-12-24 00:34:56,424][XNIO-1 task-1] INFO  AccessLog - [AzSuccess] - k8sIdp - https://k/token - uid=a,o=T - NONE [10.1.67.56] - [f9b20cfb111e9d922865823e502ddb0585c7b1bb2]\n');
    const r = await runCli(['replay', log, '--db', join(dir, 'r.db'), '--config', file('respond: { mode: apply }')], { env: { KUBECONFIG: '', HOME: dir, KUBERNETES_SERVICE_HOST: '' } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no Kubernetes configuration: set KUBECONFIG, or run in a pod with a service account/);
    assert.doesNotMatch(r.stderr, /replayed/);
  });
});
