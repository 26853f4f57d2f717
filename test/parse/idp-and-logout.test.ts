import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { dnSha1 } from '../../src/core/identity.js';
import { expiredLine, header, idpWarning, logoutLine } from '../helpers/lines.js';
import { kindOf, parseEvent as parseLine } from './scan.js';

// OpenIDConnectIdP's `[ExpiredRefreshTokenUsed]` lines (one field fewer than access lines: no
// app), its WARN lines about failed refreshes (kept with their thread, so a rule can pair them
// with the AzFail that follows on the same thread), and SessionManagerImpl's logout line.

const parseEvent = (line: string) => parseLine(line, 'idp.log', 3);

describe('ExpiredRefreshTokenUsed', () => {
  test('a real line, in OpenUnison\'s layout (docs/openunison.md)', () => {
    const line =
      '[2022-12-24 00:34:56,424][XNIO-1 task-1] INFO  OpenIDConnectIdP - [ExpiredRefreshTokenUsed] - https://k8sou.lab.tremolo.dev/auth/idp/k8sIdp/token - uid=mmosley,ou=shadow,o=Tremolo - Expired token used within grace period [10.1.67.56] - [f9b20cfb111e9d922865823e502ddb0585c7b1bb2]';
    assert.deepEqual(parseEvent(line), {
      time: '2022-12-24T00:34:56.424Z',
      type: 'ExpiredRefreshTokenUsed',
      dn: 'uid=mmosley,ou=shadow,o=Tremolo',
      dnSha1: dnSha1('uid=mmosley,ou=shadow,o=Tremolo'),
      ip: '10.1.67.56',
      url: 'https://k8sou.lab.tremolo.dev/auth/idp/k8sIdp/token',
      app: null,
      sessionId: 'f9b20cfb111e9d922865823e502ddb0585c7b1bb2',
      message: 'Expired token used within grace period',
      level: 'INFO',
      logger: 'OpenIDConnectIdP',
      thread: 'XNIO-1 task-1',
      source: 'idp.log:3',
    });
  });

  const dns = [
    'uid=mmosley,ou=shadow,o=Tremolo',
    'cn=Ops - Team,ou=groups,o=Tremolo',
    'cn=Smith\\, John,ou=users,o=Tremolo',
    'uid=jürgen.müller,o=Tremolo',
    'cn=a - b - c,o=Tremolo',
  ];
  for (const dn of dns) {
    test(`the DN ${dn} is split from the fixed message text exactly`, () => {
      const e = parseEvent(expiredLine({ dn }));
      assert.equal(e.dn, dn);
      assert.equal(e.message, 'Expired token used within grace period');
      assert.equal(e.app, null);
      assert.equal(e.url, 'https://k8sou.example.com/auth/idp/k8sIdp/token');
    });
  }
  test('an IPv6 address and a null session', () => {
    const e = parseEvent(expiredLine({ ip: '2a02:26f0:fe::5c', session: 'null' }));
    assert.equal(e.ip, '2a02:26f0:fe::5c');
    assert.equal(e.sessionId, null);
  });
  test('the same event word written by AccessLog is read the same way (no application field)', () => {
    const line = expiredLine().replace(' OpenIDConnectIdP - ', ' AccessLog - ');
    const e = parseEvent(line);
    assert.equal(e.type, 'ExpiredRefreshTokenUsed');
    assert.equal(e.app, null);
    assert.equal(e.dn, 'uid=mmosley,ou=shadow,o=Tremolo');
  });
  test('an address that is not one makes the line malformed', () => {
    assert.equal(kindOf(expiredLine({ ip: '999.1.1.1' })), 'malformed');
  });
  test('the fully qualified class name', () => {
    const e = parseEvent(expiredLine({ logger: 'com.tremolosecurity.idp.providers.OpenIDConnectIdP' }));
    assert.equal(e.type, 'ExpiredRefreshTokenUsed');
    assert.equal(e.logger, 'com.tremolosecurity.idp.providers.OpenIDConnectIdP');
  });
});

describe('OpenIDConnectIdP WARN lines (refresh failures)', () => {
  const messages = [
    'Session does not exist from refresh_token',
    'Invalid client_secret',
    'Session expired',
    'id_token tampered with',
    'access_token tampered with',
  ];
  for (const message of messages) {
    test(`'${message}' is an IdpWarning that keeps its thread`, () => {
      const e = parseEvent(idpWarning(message, { thread: 'XNIO-1 task-9' }));
      assert.equal(e.type, 'IdpWarning');
      assert.equal(e.message, message);
      assert.equal(e.thread, 'XNIO-1 task-9');
      assert.equal(e.level, 'WARN');
      assert.equal(e.dn, null);
      assert.equal(e.ip, null);
    });
  }
  test('INFO and ERROR lines of the class that are not ExpiredRefreshTokenUsed are not events', () => {
    assert.equal(kindOf(header({ logger: 'OpenIDConnectIdP' }) + 'Loading trust k8s-kubectl'), 'other');
    assert.equal(kindOf(header({ level: 'ERROR', logger: 'OpenIDConnectIdP' }) + 'Could not load keys'), 'other');
  });
});

describe("SessionManagerImpl `Logging out user '<dn>'`", () => {
  const dns = ['uid=mmosley,ou=shadow,o=Tremolo', "cn=O'Brien,ou=users,o=Tremolo", 'cn=Smith\\, John,o=Tremolo', 'cn=Ops - Team,o=Tremolo', 'uid=山田,o=Tremolo'];
  for (const dn of dns) {
    test(`a logout of ${dn}`, () => {
      const e = parseEvent(logoutLine(dn));
      assert.equal(e.type, 'Logout');
      assert.equal(e.dn, dn);
      assert.equal(e.message, `Logging out user '${dn}'`);
      assert.equal(e.logger, 'SessionManagerImpl');
      assert.equal(e.dnSha1, dnSha1(dn));
      assert.equal(e.ip, null);
      assert.equal(e.sessionId, null);
    });
  }
  test('a logout line cut before its closing quote is malformed', () => {
    assert.equal(kindOf(header({ logger: 'SessionManagerImpl' }) + "Logging out user 'uid=mmos"), 'malformed');
  });
  test('other SessionManagerImpl messages are not events', () => {
    assert.equal(kindOf(header({ logger: 'SessionManagerImpl' }) + 'Session created for f60d63b5'), 'other');
  });
});
