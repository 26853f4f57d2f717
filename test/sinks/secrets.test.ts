import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadConfig } from '../../src/app/config.js';
import { redactUrl, redactUrls } from '../../src/core/redact.js';
import { makeAlert } from '../helpers/alerts.js';
import { ouwatch } from '../helpers/cli.js';
import { harness } from '../helpers/delivery.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

const dir = tempDir();
let n = 0;
const SAMPLE = join(dir, 'empty.log');
writeFileSync(SAMPLE, '');

/** `ouwatch replay` with this config: the configuration is checked before anything is read. */
function replayWith(yaml: string, env: Record<string, string> = {}) {
  const file = join(dir, `config-${++n}.yaml`);
  writeFileSync(file, yaml);
  return { file, run: ouwatch(['replay', SAMPLE, '--db', join(dir, `c${n}.db`), '--config', file, '-q'], { env: { ...process.env, ...env } }) };
}

describe('no secret in any output', () => {
  test('credentials in a webhook URL are refused at load (exit 2), naming the field and never echoing the value', () => {
    const cases = [
      ['https://alice:hunter2-s3cret@siem.example.org/ouwatch', 'notify.webhooks[0].url: expected a URL without user:password@'],
      ['https://siem.example.org/ouwatch?token=hunter2-s3cret', "notify.webhooks[0].url: expected a URL without credentials in its query ('token')"],
      ['https://siem.example.org/in?api_key=hunter2-s3cret&x=1', "('api_key')"],
    ];
    for (const [url, expected] of cases) {
      const { file, run } = replayWith(`notify:\n  webhooks:\n    - { url: "${url}", secretEnv: HOME }\n`);
      assert.equal(run.status, 2, run.stderr);
      assert.ok(run.stderr.includes(expected), run.stderr);
      assert.ok(run.stderr.startsWith(`ouwatch: ${file}: `), run.stderr);
      assert.ok(!run.stderr.includes('hunter2'), `the value is not echoed: ${run.stderr}`);
    }
  });

  test('a URL that must carry a token comes from the environment (urlEnv); user:password@ is refused there too, unechoed', () => {
    const ok = replayWith('notify:\n  webhooks:\n    - { urlEnv: HOOK_URL, format: slack }\n', { HOOK_URL: 'https://hooks.example.org/services/T0/B0/hunter2s3cretXXXXXXXXXX?token=x' });
    assert.equal(ok.run.status, 0, ok.run.stderr);
    const bad = replayWith('notify:\n  webhooks:\n    - { urlEnv: HOOK_URL, format: slack }\n', { HOOK_URL: 'https://bob:hunter2@hooks.example.org/x' });
    assert.equal(bad.run.status, 2);
    assert.match(bad.run.stderr, /notify\.webhooks\[0\]\.urlEnv: environment variable HOOK_URL: expected a URL without user:password@/);
    assert.ok(!bad.run.stderr.includes('hunter2'));
  });

  test('SMTP security none with a password is refused unless allowPlaintextAuth says so', () => {
    const email = (extra: string) =>
      `notify:\n  email: { host: smtp.example.org, port: 25, security: none, user: ouwatch, passwordEnv: SMTP_PASSWORD, from: a@example.org, to: [b@example.org]${extra} }\n`;
    const refused = replayWith(email(''), { SMTP_PASSWORD: 'hunter2' });
    assert.equal(refused.run.status, 2);
    assert.match(refused.run.stderr, /notify\.email\.security: expected starttls or tls when a user and password are set: .*in clear .*allowPlaintextAuth: true/);
    const file = join(dir, 'plain.yaml');
    writeFileSync(file, email(', allowPlaintextAuth: true'));
    process.env.SMTP_PASSWORD = 'hunter2';
    assert.equal(loadConfig(file).notify.email?.allowPlaintextAuth, true);
  });

  test('URLs in a server answer or a redirect are redacted in the outbox and in logs', async () => {
    const server = createServer((req, res) => {
      if (req.url?.includes('first')) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`upstream refused http://127.0.0.1/hook?token=SECRET-A1 (user https://carol:SECRET-B2@idp.example.org/)`);
      } else {
        res.writeHead(302, { location: 'https://sso.example.org/login/abcdef0123456789abcdef?session=SECRET-C3' });
        res.end();
      }
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    after(() => server.close());
    const port = (server.address() as AddressInfo).port;
    process.env.HOOK_FIRST = `http://127.0.0.1:${port}/first?token=SECRET-D4`;
    process.env.HOOK_SECOND = `http://127.0.0.1:${port}/second?token=SECRET-E5`;
    const h = harness(dir, {
      respond: { mode: 'off' },
      notify: {
        webhooks: [
          { name: 'first', urlEnv: 'HOOK_FIRST', format: 'slack', minSeverity: 'low' },
          { name: 'second', urlEnv: 'HOOK_SECOND', format: 'slack', minSeverity: 'low' },
        ],
        // Each is tried once: its retry would come after it expires, so it fails at once with
        // the server's answer (no timing: a loaded machine once let one expire before its try).
        expireMinutes: 0.5,
      },
      outbox: { baseDelayMs: 120_000, maxDelayMs: 120_000 },
    }, { dbName: 'redact.db' });
    h.raise(makeAlert());
    h.delivery.worker.start();
    await waitFor('both failed', () => h.delivery.outbox.list('failed').length === 2, 20_000);
    const stored = h.delivery.outbox.list('failed').map((i) => i.lastError ?? '').join('\n');
    const logged = h.log.text();
    for (const text of [stored, logged]) {
      assert.doesNotMatch(text, /SECRET/, text);
      assert.match(text, /token=\*\*\*/);
    }
    assert.match(stored, /redirect to https:\/\/sso\.example\.org\/login\/\*\*\*\?session=\*\*\*/);
    assert.match(stored, /https:\/\/\*\*\*@idp\.example\.org\//);
    await h.close();
  });

  test('redactUrl keeps the endpoint and drops credentials, query values and token-like path segments', () => {
    assert.equal(redactUrl('https://u:p@hooks.slack.com/services/T0AAAA/B0BBBB/abcdefghij0123456789ABCD?x=1#frag'), 'https://***@hooks.slack.com/services/T0AAAA/B0BBBB/***?x=***#***');
    assert.equal(redactUrl('http://siem.example.org:8080/ouwatch/alerts'), 'http://siem.example.org:8080/ouwatch/alerts');
    assert.equal(redactUrls('POST failed: see https://a.example.org/x?token=abc.'), 'POST failed: see https://a.example.org/x?token=***.');
    assert.equal(redactUrl('not a url'), '***');
  });
});

describe('files that hold DNs and evidence are created 0600 whatever the umask', () => {
  test('db, -wal, -shm, the JSONL sink and EndSession manifests, with umask 000', async () => {
    const old = process.umask(0);
    after(() => process.umask(old));
    const manifests = join(dir, 'manifests');
    const jsonl = join(dir, 'out', 'alerts.jsonl');
    const h = harness(dir, { respond: { mode: 'manifest', manifestDir: manifests, guards: { cooldownMinutes: 0 } }, notify: { jsonl: { path: jsonl } } }, { dbName: 'modes.db' });
    h.raise(makeAlert());
    await h.delivery.worker.drain(10_000);
    const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);
    const db = join(dir, 'modes.db');
    const written = readdirSync(manifests).map((f) => join(manifests, f));
    assert.equal(written.length, 1);
    assert.deepEqual(
      [db, `${db}-wal`, `${db}-shm`, jsonl, written[0]].map((p) => [p, mode(p)]),
      [db, `${db}-wal`, `${db}-shm`, jsonl, written[0]].map((p) => [p, '600']),
    );
    await h.close();
  });
});
