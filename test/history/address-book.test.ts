import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AddressBook, NET_INDEX_ABOVE } from '../../src/components/history/address-book.js';
import { User } from '../../src/components/history/user.js';
import { AddressState } from '../../src/components/history/user-state.js';

const NOW = Date.parse('2026-03-30T12:00:00Z');

/** A small seeded PRNG: the same sequence at every run. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

const address = (ip: string, lastSeen = NOW) => new AddressState(ip, ip.slice(0, ip.lastIndexOf('.')) + '.0/24', 'SE', 3301, 'Telia', lastSeen - 1, lastSeen);

/** What findInNet must answer: the first address added, of that network, that the predicate accepts. */
function scan(all: AddressState[], net: string, pred: (a: AddressState) => boolean): string | undefined {
  return all.find((a) => a.net === net && pred(a))?.ip;
}

test('an address book finds an address of a network as a scan in the order added would, small or indexed, through additions, replacements and deletions', () => {
  const rand = prng(7);
  const book = new AddressBook();
  const order: AddressState[] = [];
  const nets = ['81.2.1', '81.2.2', '81.2.3', '10.0.0'];
  for (let step = 0; step < 3_000; step++) {
    const ip = `${nets[Math.floor(rand() * nets.length)]}.${1 + Math.floor(rand() * 60)}`;
    const roll = rand();
    if (roll < 0.6) {
      // Added, or replaced by a copy read back from the store (which goes to the end, as a Map's re-added key does).
      const a = address(ip, NOW - Math.floor(rand() * 1_000));
      const k = order.findIndex((x) => x.ip === ip);
      if (k >= 0 && rand() < 0.5) {
        book.delete(ip);
        order.splice(k, 1);
      } else if (k >= 0) {
        book.set(ip, a);
        order[k] = a;
        continue;
      }
      book.set(ip, a);
      order.push(a);
    } else if (roll < 0.8) {
      book.delete(ip);
      const k = order.findIndex((x) => x.ip === ip);
      if (k >= 0) order.splice(k, 1);
    }
    assert.equal(book.size, order.length);
    const since = NOW - Math.floor(rand() * 1_000);
    const pred = (a: AddressState) => a.lastSeen >= since;
    for (const net of nets) assert.equal(book.findInNet(`${net}.0/24`, pred)?.ip, scan(order, `${net}.0/24`, pred), `step ${step}, ${net}`);
  }
  assert.ok(order.length > NET_INDEX_ABOVE, `the book grew past the size that indexes it (${order.length})`);
});

test("a user's latest learnt addresses are those a full sort gives, cut at the number asked, with the total of learnt ones held and let go", () => {
  const rand = prng(11);
  const u = new User('uid=alice,ou=users,o=Tremolo', 'sha1', NOW - 30 * 86_400_000, NOW);
  const all: AddressState[] = [];
  for (let i = 0; i < 400; i++) {
    // Ties in last-seen time are frequent: the address text orders them.
    const a = address(`81.${i % 7}.${i % 5}.${i}`, NOW - Math.floor(rand() * 20) * 3_600_000);
    u.addresses.set(a.ip, a);
    if (rand() < 0.6) u.learn(a);
    all.push(a);
  }
  const within = 7 * 3_600_000;
  const want = all
    .filter((a) => a.learnt && a.lastSeen >= NOW - within)
    .sort((a, b) => b.lastSeen - a.lastSeen || (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0))
    .map((a) => a.ip);
  const total = all.filter((a) => a.learnt).length;
  assert.deepEqual(u.learntLately(NOW, within, 4), { ips: want.slice(0, 4), total });
  assert.deepEqual(u.learntLately(NOW, within), { ips: want, total });
  assert.ok(want.length > 4 && total > want.length, `${want.length} within the window, ${total} learnt`);
});
