import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { ndjson, ok } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const line = (time: string, ip: string) =>
  `[2026-03-02 ${time},000][XNIO-1 task-3] INFO  AccessLog - [AzSuccess] - k8s-api - https://k8sou.nordvik.example/api/v1/namespaces/shipping/pods - uid=alice,ou=users,o=Tremolo - k8s-shipping-devs [${ip}] - [f1111111111111111111111111111111111111111]`;

// Two hours of alice at her office address: enough history for the novelty rules.
const baseline = Array.from({ length: 13 }, (_, k) => line(`${String(8 + Math.floor(k / 6)).padStart(2, '0')}:${String((k % 6) * 10).padStart(2, '0')}:00`, '89.160.20.112'));

test("addresses stored without their network (older databases) are given it when loaded: a neighbour in the user's /24 is not new", () => {
  const dir = tempDir();
  const db = join(dir, 'ouwatch.db');
  writeFileSync(join(dir, 'a.log'), baseline.join('\n') + '\n');
  ok(['replay', join(dir, 'a.log'), '--db', db, '--json', '-q']);

  // What a database written before networks were stored holds.
  const sql = new Database(db);
  const changed = sql.prepare('UPDATE user_ips SET net = NULL').run().changes;
  sql.close();
  assert.equal(changed, 1);

  writeFileSync(join(dir, 'b.log'), [line('10:30:00', '89.160.20.77'), line('10:40:00', '81.224.10.5')].join('\n') + '\n');
  const alerts = ndjson<{ rule: string; ip: string }>(ok(['replay', join(dir, 'b.log'), '--db', db, '--json', '-q']).stdout);
  const newNetwork = alerts.filter((a) => a.rule === 'new-source-ip').map((a) => a.ip);
  assert.deepEqual(newNetwork, ['81.224.10.5'], 'only the address in another network is new');
});
