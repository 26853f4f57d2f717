import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { openWriter } from '../../src/store/sqlite/database.js';
import { LeaseHeldError, LeaseLostError, STALE_AFTER_MS } from '../../src/core/writer-lease.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir();
let n = 0;
const file = () => join(dir, `lease-${++n}.db`);

/** Another process, as the lease sees it: its own pid, host and clock. */
const other = (o: { pid?: number; host?: string; now?: () => number; alive?: boolean } = {}) => ({
  pid: o.pid ?? 4242,
  host: o.host ?? 'host-b',
  now: o.now ?? Date.now,
  isAlive: () => o.alive ?? true,
});

describe('the writer lease (one writer per database)', () => {
  test('a second writer is refused while the first is alive, naming its pid, host, command and start', () => {
    const path = file();
    const first = openWriter(path, 'run', other({ pid: 111, host: 'node-1' }));
    assert.throws(
      () => openWriter(path, 'replay', other({ pid: 222, host: 'node-2' })),
      (err: unknown) => err instanceof LeaseHeldError && /'ouwatch run' \(pid 111 on node-1, since \d{4}-/.test(err.message) && err.message.includes(path),
    );
    first.lease.release();
    first.db.close();
    const second = openWriter(path, 'replay', other({ pid: 222, host: 'node-2' }));
    assert.equal(second.grant.takenOverFrom, null, 'a released lease is simply free');
    second.db.close();
  });

  test('a holder whose process has ended on this host is taken over at once, with the reason', () => {
    const path = file();
    const dead = openWriter(path, 'run', other({ pid: 111, host: 'here' }));
    dead.db.close(); // killed: the lease row stays
    const next = openWriter(path, 'run', other({ pid: 333, host: 'here', alive: false }));
    assert.equal(next.grant.takenOverFrom?.pid, 111);
    assert.match(next.grant.staleBecause ?? '', /process 111 on here has ended/);
    assert.equal(next.lease.holder()?.pid, 333);
    next.db.close();
  });

  test('a restarted container (same host name, same pid) takes over its earlier life', () => {
    const path = file();
    openWriter(path, 'run', other({ pid: 1, host: 'ouwatch-0' })).db.close();
    const again = openWriter(path, 'run', other({ pid: 1, host: 'ouwatch-0', alive: true }));
    assert.match(again.grant.staleBecause ?? '', /this process's own/);
    again.db.close();
  });

  test('on another host, a holder is stale only once it has not renewed for a minute', () => {
    const path = file();
    let clock = Date.now();
    const a = openWriter(path, 'run', other({ pid: 1, host: 'node-a', now: () => clock }));
    const b = () => openWriter(path, 'replay', other({ pid: 2, host: 'node-b', now: () => clock }));
    clock += STALE_AFTER_MS - 1000;
    assert.throws(b, LeaseHeldError);
    a.lease.heartbeat();
    clock += STALE_AFTER_MS - 1000;
    assert.throws(b, LeaseHeldError, 'renewed: still alive');
    clock += 2000;
    const taken = b();
    assert.match(taken.grant.staleBecause ?? '', /not renewed for 61 s/);
    // The old holder finds out at its next renewal (the daemon renews inside every commit).
    assert.throws(() => a.lease.heartbeat(), (err: unknown) => err instanceof LeaseLostError && /'ouwatch replay' \(pid 2 on node-b\) holds it now/.test(err.message));
    a.db.close();
    taken.db.close();
  });

  test('two takeovers of one stale lease: exactly one wins, the other is refused naming the winner', () => {
    const path = file();
    openWriter(path, 'run', other({ pid: 1, host: 'h' })).db.close();
    const env = (pid: number) => other({ pid, host: 'h', alive: false });
    // Both read the stale holder; the UPDATE is guarded by its token, so the second finds a live one.
    const x = openWriter(path, 'replay', env(10));
    assert.throws(() => openWriter(path, 'replay', { ...env(11), isAlive: (pid: number) => pid === 10 }), (err: unknown) => err instanceof LeaseHeldError && /pid 10 on h/.test(err.message));
    x.db.close();
  });
});
