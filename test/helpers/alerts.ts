import { configSchema, type Config } from '../../src/app/config.js';
import type { StoredAlert } from '../../src/core/alerts.js';
import { dnSha1 } from '../../src/core/identity.js';

let seq = 0;

/** An alert as detection would raise it (a plain StoredAlert), raised `ageMs` ago. */
export function makeAlert(over: Partial<StoredAlert> = {}, now = Date.now()): StoredAlert {
  const dn = over.dn === undefined ? 'uid=mmosley,ou=shadow,o=Tremolo' : over.dn;
  const time = over.time ?? new Date(now - 5_000).toISOString();
  seq++;
  return {
    id: `a${seq}`,
    rule: 'refresh-token-replay',
    severity: 'critical',
    time,
    dn,
    dnSha1: dn === null ? null : dnSha1(dn),
    ip: '203.0.113.9',
    country: 'FR',
    reason: 'ExpiredRefreshTokenUsed from 203.0.113.9, not a known address of this DN in the minute before',
    evidence: [{ source: 'openunison.log:42', line: '[2022-12-24 00:34:56,424][XNIO-1 task-1] INFO  OpenIDConnectIdP - [ExpiredRefreshTokenUsed] - ...' }],
    status: 'open',
    response: null,
    count: 1,
    lastTime: time,
    respond: true,
    risk: 100,
    evidenceTotal: 1,
    ...over,
  };
}

/** A configuration from a partial object, through the real schema (defaults applied). */
export function makeConfig(partial: Record<string, unknown>): Config {
  return configSchema.parse(partial);
}

/** A hostile DN set: quotes, newlines, YAML/shell syntax, markup, unicode, invisible characters. */
export const HOSTILE_DNS = [
  `uid=o'brien,ou="quoted",o=Tremolo`,
  'uid=a\nkind: Secret\nmetadata:,o=Tremolo',
  'uid=x: y,ou=#not-a-comment,o=Tremolo',
  'uid=<script>alert(1)</script>&amp;,o=Tremolo',
  'uid=Jürgen Müller,ou=研究,o=Trémolo',
  'uid=rtl\u202egnp.exe\u2028line\u0085nel\ufeff,o=Tremolo',
  'uid=back\\slash\\,comma\ttab\r\n,o=Tremolo',
  'uid=$(rm -rf /);`id`,o=Tremolo',
  'uid=emoji\u{1F600}\u0000nul,o=Tremolo',
];
