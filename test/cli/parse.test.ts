import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { runCli, startCli } from '../helpers/cli.js';
import { STACK_TRACE, accessLine, activity, header, idpWarning, logoutLine } from '../helpers/lines.js';
import { tempDir } from '../helpers/tmp.js';

// `ouwatch parse FILE... --json` prints one Event per line, exactly the event contract (docs/commands.md):
// {time, type, dn, dnSha1, ip, url, app, sessionId, message, level, logger, thread, source}.

const dir = tempDir();
const CONTRACT = ['time', 'type', 'dn', 'dnSha1', 'ip', 'url', 'app', 'sessionId', 'message', 'level', 'logger', 'thread', 'source'];
const LINES = [
  '[2022-12-24 00:34:56,424][XNIO-1 task-1] INFO  OpenIDConnectIdP - [ExpiredRefreshTokenUsed] - https://k8sou.lab.tremolo.dev/auth/idp/k8sIdp/token - uid=mmosley,ou=shadow,o=Tremolo - Expired token used within grace period [10.1.67.56] - [f9b20cfb111e9d922865823e502ddb0585c7b1bb2]',
  header({ time: '2022-12-24 00:34:56,500', logger: 'ConfigSys' }) + 'Checking for updates',
  accessLine({ time: '2022-12-24 00:34:57,000', event: 'AuFail', dn: 'cn=none', msg: 'oauth2k8s', ip: '8.8.8.8', session: 'null' }),
  header({ time: '2022-12-24 00:34:57,001', level: 'ERROR', logger: 'OpenIDConnectAuthMech' }) + 'Could not retrieve token : 400 / Bad Request',
  ...STACK_TRACE,
  idpWarning('Session does not exist from refresh_token', { time: '2022-12-24 00:34:58,000', thread: 'XNIO-1 task-3' }),
  accessLine({ time: '2022-12-24 00:34:58,000', thread: 'XNIO-1 task-3', event: 'AzFail', dn: 'cn=Smith\\, John - Ops,o=Tremolo', msg: '', ip: '2001:db8::1', session: 'null' }),
  logoutLine('uid=jürgen,o=Tremolo', { time: '2022-12-24 00:35:00,000' }),
  header({ time: '2022-12-24 00:35:01,000' }) + "SRCH op=88 con=87 base='o=Tremolo' filter='(uid=x)'",
  accessLine({ time: '2022-12-24 00:35:02,000', event: 'Bogus' }),
];

function file(name: string, content: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

const parseJsonLines = (stdout: string) => stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('ouwatch parse --json', () => {
  test('one Event per line, exactly the contract fields in contract order, nothing for non-events', async () => {
    const log = file('mixed.log', LINES.join('\n') + '\n');
    const r = await runCli(['parse', log, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const events = parseJsonLines(r.stdout);
    for (const e of events) assert.deepEqual(Object.keys(e), CONTRACT);
    assert.deepEqual(
      events.map((e) => [e.type, e.source]),
      [
        ['ExpiredRefreshTokenUsed', `${log}:1`],
        ['AuFail', `${log}:3`],
        ['IdpWarning', `${log}:11`],
        ['AzFail', `${log}:12`],
        ['Logout', `${log}:13`],
      ],
    );
    assert.deepEqual(events[0], {
      time: '2022-12-24T00:34:56.424Z',
      type: 'ExpiredRefreshTokenUsed',
      dn: 'uid=mmosley,ou=shadow,o=Tremolo',
      dnSha1: '5204c08a79c11dbdc2fdda1e07bc866fb4f22888',
      ip: '10.1.67.56',
      url: 'https://k8sou.lab.tremolo.dev/auth/idp/k8sIdp/token',
      app: null,
      sessionId: 'f9b20cfb111e9d922865823e502ddb0585c7b1bb2',
      message: 'Expired token used within grace period',
      level: 'INFO',
      logger: 'OpenIDConnectIdP',
      thread: 'XNIO-1 task-1',
      source: `${log}:1`,
    });
    assert.equal(events[3].dn, 'cn=Smith\\, John - Ops,o=Tremolo');
    assert.equal(events[3].message, '');
    assert.equal(events[3].thread, events[2].thread, 'the WARN and the AzFail that follows share their thread');
    assert.equal(events[4].dn, 'uid=jürgen,o=Tremolo');
  });

  test('stdin (-), plain and gzip, gives the same events with source stdin:N', async () => {
    const text = LINES.join('\n') + '\n';
    const plain = await runCli(['parse', '-', '--json'], { input: text });
    const gz = await runCli(['parse', '-', '--json'], { input: gzipSync(text) });
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(gz.stdout, plain.stdout);
    assert.deepEqual(parseJsonLines(plain.stdout).map((e) => e.source), ['stdin:1', 'stdin:3', 'stdin:11', 'stdin:12', 'stdin:13']);
  });

  test('--tz reads the log times in that zone', async () => {
    const r = await runCli(['parse', file('tz.log', LINES[0] + '\n'), '--json', '--tz', 'Europe/Stockholm']);
    assert.equal(parseJsonLines(r.stdout)[0].time, '2022-12-23T23:34:56.424Z');
  });

  test('docker and CRI files are detected per file and merged with a plain one by time', async () => {
    const a = accessLine({ time: '2024-01-01 00:00:01,000', dn: 'uid=docker,o=Tremolo' });
    const b = accessLine({ time: '2024-01-01 00:00:02,000', dn: 'uid=cri,o=Tremolo' });
    const c = accessLine({ time: '2024-01-01 00:00:03,000', dn: 'uid=plain,o=Tremolo' });
    const docker = file('container.json.log', JSON.stringify({ log: a + '\n', stream: 'stdout', time: '2024-01-01T00:00:01Z' }) + '\n');
    const cri = file('0.log', `2024-01-01T00:00:02.000000000Z stdout F ${b}\n`);
    const plain = file('plain.log', c + '\n');
    const r = await runCli(['parse', plain, cri, docker, '--json']);
    assert.deepEqual(parseJsonLines(r.stdout).map((e) => e.dn), ['uid=docker,o=Tremolo', 'uid=cri,o=Tremolo', 'uid=plain,o=Tremolo']);
  });

  test('the first file given does not go first: every file is opened before any is read, so the merge waits for all of them', async () => {
    // The first file is the latest; the others, each given after it, hold earlier lines.
    const at = (h: number, i: number) => `2024-01-01 ${String(h).padStart(2, '0')}:00:${String(i % 60).padStart(2, '0')},000`;
    const late = file('late.log', accessLine({ time: at(9, 0), dn: 'uid=late,o=Tremolo' }) + '\n');
    const early = [1, 2, 3, 4, 5, 6].map((h) => file(`early-${h}.log`, accessLine({ time: at(h, 0), dn: `uid=early${h},o=Tremolo` }) + '\n'));
    const r = await runCli(['parse', late, ...early, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const dns = parseJsonLines(r.stdout).map((e) => e.dn);
    assert.deepEqual(dns.slice(0, 6), [1, 2, 3, 4, 5, 6].map((h) => `uid=early${h},o=Tremolo`));
    assert.equal(dns.length, 7);
  });

  test('a reader that stops early (| head) ends the command quietly', async () => {
    const log = file('long.log', activity(40_000).join('\n') + '\n');
    const child = startCli(['parse', log, '--json']);
    child.stdin!.end();
    const err: Buffer[] = [];
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    const [first] = (await once(child.stdout!, 'data')) as [Buffer];
    assert.ok(first.toString().startsWith('{'));
    child.stdout!.destroy();
    const [code] = await once(child, 'exit');
    assert.equal(Buffer.concat(err).toString(), '');
    assert.equal(code, 0);
  });
});
