import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { EventJson } from '../../src/core/events.js';
import { dnSha1 } from '../../src/core/identity.js';
import { sourceOf } from '../../src/core/log-event.js';
import { SESSION, accessLine } from '../helpers/lines.js';
import { parseEvent, parseText } from './scan.js';

// AccessLog lines: `[<Event>] - <app> - <requestURL> - <userDN> - <msg> [<remoteAddr>] - [<sessionId>]`.
// Each row is a line as OpenUnison writes it and the Event it must become, read as a replay
// reads it (the DN's SHA-1 is OpenUnison's user label, see test/enrich/identity.test.ts).

describe('real AccessLog lines (OpenUnison\'s layout, docs/openunison.md)', () => {
  const rows: Array<{ line: string; event: EventJson }> = [
    {
      line: '[2022-03-23 09:40:37,266][XNIO-1 task-6] INFO  AccessLog - [AzSuccess] - dashboard - https://k8sdashboard.sundsvall.se/api/v1/job/default - uid=danost,ou=shadow,o=Tremolo - oauth2bearer [10.197.32.67] - [f60d63b5b4c82b1f374aa58075e336f5c20a08cc2]',
      event: {
        time: '2022-03-23T09:40:37.266Z', type: 'AzSuccess', dn: 'uid=danost,ou=shadow,o=Tremolo', dnSha1: dnSha1('uid=danost,ou=shadow,o=Tremolo'), ip: '10.197.32.67',
        url: 'https://k8sdashboard.sundsvall.se/api/v1/job/default', app: 'dashboard', sessionId: 'f60d63b5b4c82b1f374aa58075e336f5c20a08cc2',
        message: 'oauth2bearer', level: 'INFO', logger: 'AccessLog', thread: 'XNIO-1 task-6', source: 'openunison.log:7',
      },
    },
    {
      line: '[2018-07-05 00:12:40,928][XNIO-1 task-6] INFO  AccessLog - [AuFail] - scale - https://openunison.lab.unixcraft.io:32017/auth/SAML2Auth - cn=none - enterprise_idp [10.233.124.0] - [f1a7026f49e09fe6991253ce59e913bb915905f29]',
      event: {
        time: '2018-07-05T00:12:40.928Z', type: 'AuFail', dn: 'cn=none', dnSha1: dnSha1('cn=none'), ip: '10.233.124.0',
        url: 'https://openunison.lab.unixcraft.io:32017/auth/SAML2Auth', app: 'scale', sessionId: 'f1a7026f49e09fe6991253ce59e913bb915905f29',
        message: 'enterprise_idp', level: 'INFO', logger: 'AccessLog', thread: 'XNIO-1 task-6', source: 'openunison.log:7',
      },
    },
    {
      // The message is empty: two spaces before `[ip]`.
      line: '[2018-07-05 16:23:05,410][XNIO-1 task-16] INFO  AccessLog - [AzSuccess] - scale - https://openunison.lab.unixcraft.io:32017/scale/main/config - uid=kash,ou=users,ou=shadow,o=Tremolo -  [10.233.124.0] - [f91ae56f41627bbdddad18b92e6d8a1814d773633]',
      event: {
        time: '2018-07-05T16:23:05.410Z', type: 'AzSuccess', dn: 'uid=kash,ou=users,ou=shadow,o=Tremolo', dnSha1: dnSha1('uid=kash,ou=users,ou=shadow,o=Tremolo'), ip: '10.233.124.0',
        url: 'https://openunison.lab.unixcraft.io:32017/scale/main/config', app: 'scale', sessionId: 'f91ae56f41627bbdddad18b92e6d8a1814d773633',
        message: '', level: 'INFO', logger: 'AccessLog', thread: 'XNIO-1 task-16', source: 'openunison.log:7',
      },
    },
  ];
  for (const { line, event } of rows) {
    test(`${event.type} at ${event.time} becomes exactly the contract Event`, () => {
      const got = parseEvent(line);
      assert.deepEqual(got, event);
      assert.deepEqual(Object.keys(got), ['time', 'type', 'dn', 'dnSha1', 'ip', 'url', 'app', 'sessionId', 'message', 'level', 'logger', 'thread', 'source']);
    });
  }
});

describe('the six access event words', () => {
  const rows = [
    { event: 'AuSuccess', app: 'k8sIdp', url: 'https://k8sou.example.com/auth/idp/k8sIdp/auth', dn: 'uid=mmosley,ou=shadow,o=Tremolo', msg: '20 / oauth2k8s' },
    { event: 'AuFail', app: 'k8sIdp', url: 'https://k8sou.example.com/auth/idp/k8sIdp/auth', dn: 'cn=none', msg: 'oauth2k8s' },
    { event: 'AzSuccess', app: 'k8s-api', url: 'https://k8sou.example.com/api/v1/namespaces/default/pods', dn: 'uid=mmosley,ou=shadow,o=Tremolo', msg: 'k8s-cluster-administrators' },
    { event: 'AzFail', app: 'k8s-api', url: 'https://k8sou.example.com/api/v1/secrets', dn: 'uid=mmosley,ou=shadow,o=Tremolo', msg: 'NONE' },
    { event: 'NotFound', app: 'UNKNOWN', url: 'https://k8sou.example.com/favicon.ico', dn: 'uid=Anonymous,o=Tremolo', msg: 'Resource Not Found' },
    { event: 'Error', app: 'dashboard', url: 'https://k8sdb.example.com/api/v1/login', dn: 'uid=mmosley,ou=shadow,o=Tremolo', msg: 'Could not complete the request' },
  ];
  for (const r of rows) {
    test(`[${r.event}] keeps app, url, dn and message apart`, () => {
      const e = parseEvent(accessLine({ ...r, ip: '81.2.69.142', session: SESSION }));
      assert.equal(e.type, r.event);
      assert.equal(e.app, r.app);
      assert.equal(e.url, r.url);
      assert.equal(e.dn, r.dn);
      assert.equal(e.message, r.msg);
      assert.equal(e.ip, '81.2.69.142');
      assert.equal(e.sessionId, SESSION);
      assert.equal(e.logger, 'AccessLog');
    });
  }
});

describe('DNs exactly as logged (no normalisation)', () => {
  const dns = [
    ['an escaped comma', 'cn=Smith\\, John,ou=users,o=Tremolo'],
    ['spaces', 'cn=John Smith,ou=Sales Team,o=Tremolo'],
    ['an escaped equals sign', 'cn=a\\=b,ou=users,o=Tremolo'],
    ["' - ' inside the DN", 'cn=Ops - Team,ou=groups,o=Tremolo'],
    ["' - ' and an escaped comma", 'cn=Doe\\, Jane - Contractor,ou=ext,o=Tremolo'],
    ['non-ASCII (Latin)', 'uid=jürgen.müller,ou=användare,o=Tremolo'],
    ['non-ASCII (CJK)', 'cn=山田太郎,ou=ユーザー,o=Tremolo'],
    ['an emoji', 'cn=rocket 🚀,o=Tremolo'],
    ['quotes', 'cn="Doe, J",ou=users,o=Tremolo'],
    ['a service account', 'username=system:serviceaccount:openunison:oulogin,ou=oauth2,o=Tremolo'],
    ['upper case attribute names', 'UID=MMosley,OU=Shadow,O=Tremolo'],
    ['the anonymous user', 'uid=Anonymous,o=Tremolo'],
    ['no user', 'cn=none'],
  ] as const;
  for (const [what, dn] of dns) {
    test(`a DN with ${what}`, () => {
      const e = parseEvent(accessLine({ dn, msg: 'k8s-admins' }));
      assert.equal(e.dn, dn);
      assert.equal(e.message, 'k8s-admins');
    });
    test(`a DN with ${what}, followed by an empty message`, () => {
      const e = parseEvent(accessLine({ dn, msg: '' }));
      assert.equal(e.dn, dn);
      assert.equal(e.message, '');
    });
  }
});

describe('free-text messages', () => {
  const messages = [
    ['empty', ''],
    ["containing ' - '", 'cluster - admins'],
    ["containing ' - ' twice", 'a - b - c'],
    ['containing brackets', '[group] admins'],
    ['ending in a bracketed word', 'admins [read-only]'],
    ["containing ' - [' ", 'x - [y]'],
    ['a level and chain', '20 / oauth2k8s'],
    ['with non-ASCII', 'gruppe für Betrieb'],
  ] as const;
  for (const [what, msg] of messages) {
    test(`a message ${what} is kept whole and the address and session still parse`, () => {
      const e = parseEvent(accessLine({ msg, ip: '2.125.160.216', session: SESSION }));
      assert.equal(e.message, msg);
      assert.equal(e.dn, 'uid=mmosley,ou=shadow,o=Tremolo');
      assert.equal(e.ip, '2.125.160.216');
      assert.equal(e.sessionId, SESSION);
    });
  }
});

describe('addresses and session ids', () => {
  const ips = ['10.197.32.67', '81.2.69.142', '2001:db8::1', '0:0:0:0:0:0:0:1', '::1', '::ffff:81.2.69.142', 'fe80::1ff:fe23:4567:890a', '2a02:26f0:fe::5c', '0:0:0:0:0:0:0:1%0', 'fe80:0:0:0:1c2d:3eff:fe4f:5a6b%eth0'];
  for (const ip of ips) {
    test(`remote address ${ip} is kept as logged`, () => {
      assert.equal(parseEvent(accessLine({ ip })).ip, ip);
    });
  }
  test('an empty address is null', () => {
    assert.equal(parseEvent(accessLine({ ip: '' })).ip, null);
  });
  test('the session id `null` is null', () => {
    const e = parseEvent(accessLine({ session: 'null' }));
    assert.equal(e.sessionId, null);
    assert.equal(e.ip, '81.2.69.142');
  });
  test('an empty session id is null', () => {
    assert.equal(parseEvent(accessLine({ session: '' })).sessionId, null);
  });
  const notAddresses = [
    ['an octet over 255', '999.1.1.1'],
    ['a NUL byte', '81.2.69.142\u0000'],
    ['a word', 'unknown'],
    ['three octets', '81.2.69'],
    ['a port', '10.0.0.1:8443'],
    ['a DN', 'uid=mmosley,o=Tremolo'],
    ['a zone id on an IPv4 address', '10.0.0.1%eth0'],
    ['an empty zone id', 'fe80::1%'],
  ] as const;
  for (const [what, ip] of notAddresses) {
    test(`an address field holding ${what} makes the line malformed, every time it appears`, () => {
      const lines = [accessLine({ ip }), accessLine({ ip: '81.2.69.142' }), accessLine({ ip, dn: 'uid=other,o=Tremolo' })];
      const { events, counts } = parseText(lines.join('\n') + '\n');
      assert.deepEqual(counts, { event: 1, malformed: 2 });
      assert.equal(events[0].address?.ip, '81.2.69.142');
      assert.equal(events[0].lineNo, 2);
    });
  }
  test('a scoped IPv6 client (Java prints `%<zone>` after it) is an event, judged by its address: link-local is not public', () => {
    const { events, counts } = parseText([accessLine({ ip: 'fe80::1%eth0' }), accessLine({ ip: '2a02:26f0:fe::5c%0' })].join('\n') + '\n');
    assert.deepEqual(counts, { event: 2 });
    assert.equal(events[0].address?.public, false);
    assert.equal(events[1].address?.public, true);
  });
  test('the session id is kept as logged, whatever it holds', () => {
    for (const session of ['0', 'NULL', 'abc def', 'null2', 'x'.repeat(200)]) assert.equal(parseEvent(accessLine({ session })).sessionId, session);
  });
});

describe('the log4j header', () => {
  test('threads with spaces, levels padded to five, and fully qualified class names', () => {
    const e = parseEvent(accessLine({ thread: 'XNIO-1 task-16', level: 'WARN', logger: 'com.tremolosecurity.log.AccessLog' }));
    assert.equal(e.thread, 'XNIO-1 task-16');
    assert.equal(e.level, 'WARN');
    assert.equal(e.logger, 'com.tremolosecurity.log.AccessLog');
  });
  for (const thread of ['main', 'pool-3-thread-12', 'XNIO-1 I/O-2', 'default task-1']) {
    test(`thread '${thread}'`, () => {
      assert.equal(parseEvent(accessLine({ thread })).thread, thread);
    });
  }
  for (const level of ['INFO', 'WARN', 'ERROR', 'DEBUG', 'TRACE']) {
    test(`level ${level}`, () => {
      assert.equal(parseEvent(accessLine({ level })).level, level);
    });
  }
  test('source is origin:line and raw is the line as read', () => {
    const line = accessLine();
    const { events } = parseText(line + '\n', { origin: '/var/log/pods/openunison_orchestra-0/0.log', firstLineNo: 12345 });
    assert.equal(events.length, 1);
    assert.equal(sourceOf(events[0]), '/var/log/pods/openunison_orchestra-0/0.log:12345');
    assert.equal(events[0].raw(), line);
    assert.equal(events[0].lineNo, 12345);
  });
});
