import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HeldUsers } from '../../src/components/history/held-users.js';
import { SeenUsers } from '../../src/components/history/seen-users.js';
import type { LogEvent } from '../../src/core/log-event.js';
import type { HistoryRepository } from '../../src/core/ports.js';
import { sha1Hex } from '../../src/core/identity.js';

// Which users HeldUsers makes as new (inserted without a lookup) and which DNs it asks the
// store about, around a retention pass that made memory forget users: a pass stopped part way
// may have left them stored, so they count as possibly stored from then on.

const DN = 'uid=ada,ou=users,o=Tremolo';
const SHA1 = sha1Hex(DN);

/** A store that holds users or not, holds none of those asked for, and records the DNs asked. */
function store(holdsUsers: boolean): HistoryRepository & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    hasUsers: async () => holdsUsers,
    loadUsers: async (dns: readonly string[]) => {
      asked.push(...dns);
      return [];
    },
  } as unknown as HistoryRepository & { asked: string[] };
}

/** An event of DN with interned id `dnId` at log time `ts` (what userOf reads of it). */
const event = (dnId: number, ts: number, dn = DN, sha1 = SHA1) => ({ dnId, ts, dn: { dn, sha1 } }) as unknown as LogEvent;

/** ada met in a batch, then written by a commit (History.committed's part). */
async function adaStored(held: HeldUsers): Promise<void> {
  await held.prepare([5, DN], [SHA1]);
  const ada = held.userOf(event(5, 1_000))!;
  assert.equal(ada.stored, false, 'met for the first time: new');
  ada.stored = true;
}

test('a user retention made memory forget is, met again under the same id, possibly stored: looked up when written', async () => {
  for (const holdsUsers of [true, false]) {
    const held = new HeldUsers(store(holdsUsers), undefined, new SeenUsers(), 16);
    await adaStored(held);
    await held.forgetBefore(2_000);
    assert.equal(held.get(DN), undefined, 'forgotten');
    const again = held.userOf(event(5, 3_000))!;
    assert.equal(again.stored, true, `store ${holdsUsers ? 'holding users at start' : 'empty at start'}: a stopped pass may have kept the row`);
    await held.prepare([6, 'uid=bob,ou=users,o=Tremolo'], [sha1Hex('uid=bob,ou=users,o=Tremolo')]);
    assert.equal(held.userOf(event(6, 3_000, 'uid=bob,ou=users,o=Tremolo', sha1Hex('uid=bob,ou=users,o=Tremolo')))!.stored, false, 'a DN nobody forgot is still new');
  }
});

test('in a run that began with an empty store, a forgotten user back under a new id is asked for', async () => {
  const repo = store(false);
  const held = new HeldUsers(repo, undefined, new SeenUsers(), 16);
  await adaStored(held);
  await held.forgetBefore(2_000);
  await held.prepare([40, DN, 41, 'uid=cy,ou=users,o=Tremolo'], [SHA1, sha1Hex('uid=cy,ou=users,o=Tremolo')]);
  assert.deepEqual(repo.asked, [DN], 'ada may be stored (the pass may have stopped); cy was never let go');
});
