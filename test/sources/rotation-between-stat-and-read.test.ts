import assert from 'node:assert/strict';
import { appendFileSync, promises as fsp, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import pino from 'pino';
import { fingerprintOf } from '../../src/components/sources/files/fingerprint.js';
import { TailedFile } from '../../src/components/sources/files/followed-log.js';
import type { Claim, TailContext } from '../../src/components/sources/files/tail-context.js';
import { FileInput } from '../../src/components/sources/files/log-segment.js';
import { logText } from '../helpers/log-lines.js';
import { tempDir } from '../helpers/tmp.js';
import { RecordChannel } from './record-channel.js';

// A tail polls with a stat of the path, then reads what was appended. A rotation can land
// between the two: the stat still shows the old file, grown, while the path already names the
// new one. Reading by name then took the new file's bytes from the old file's offset (the
// middle of a line, delivered as the old log's continuation), and at the next poll the rest of
// the old file from that wrong offset and the new file again from its start: lines lost and
// lines read twice. The tail reads through the descriptor it holds open, so what the stat
// announced is what it reads. The rotation is placed exactly there by running it inside the
// poll's stat (real files, real rename; only the moment is chosen).

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

test('a rotation between the poll that sees the old file grow and its read loses nothing and reads nothing twice', async (t) => {
  const dir = tempDir();
  const path = join(dir, 'app.log');
  const firstText = logText(0, 40);
  const appended = logText(40, 55);
  const newText = logText(1_000, 1_200); // longer than the old file: there are bytes at its offset
  writeFileSync(path, firstText);
  const oldFp = fingerprintOf(Buffer.from(firstText), false)!;
  const newFp = fingerprintOf(Buffer.from(newText), false)!;

  const inputs = new Map<string, RecordChannel>();
  const text = (c: RecordChannel | undefined) => (c === undefined || c.records.length === 0 ? '' : c.records.map((r) => r.text ?? `<skipped: ${r.reason}>`).join('\n') + '\n');
  const ctx: TailContext = {
    log: pino({ level: 'silent' }),
    pollIntervalMs: 20,
    startAt: 'beginning',
    maxLineBytes: 65_536,
    claim: async (): Promise<Claim> => ({ offset: 0, lineNo: 0, known: false, tailHash: null, hashOffset: null }),
    open: (at) => {
      assert.ok(!inputs.has(at.fingerprint), 'each file is opened as an input once');
      const channel = new RecordChannel(at.offset, at.lineNo);
      inputs.set(at.fingerprint, channel);
      return new FileInput(at, channel);
    },
    lost: () => assert.fail('nothing is lost: the old file stays readable through the open descriptor'),
    rescan: async () => {},
  };

  const tail = new TailedFile(path, ctx);
  await tail.attach();
  await until(() => text(inputs.get(oldFp)) === firstText, 'the first 40 lines');

  // The next stat that sees the old file grown rotates it before returning.
  const realStat = fsp.stat;
  const grownSize = Buffer.byteLength(firstText + appended);
  let rotated = false;
  fsp.stat = (async (...args: Parameters<typeof realStat>) => {
    const stats = await realStat(...args);
    if (!rotated && args[0] === path && Number(stats.size) === grownSize) {
      rotated = true;
      renameSync(path, join(dir, 'app.log.1'));
      writeFileSync(path, newText);
    }
    return stats;
  }) as typeof realStat;
  t.after(() => {
    fsp.stat = realStat;
  });
  appendFileSync(path, appended);
  const oldIno = statSync(join(dir, 'app.log')).ino;

  await until(() => rotated, 'the rotation inside the poll');
  await until(() => text(inputs.get(newFp)).length >= newText.length, 'the new file');
  await sleep(150); // polls that would read anything twice
  fsp.stat = realStat;
  await tail.stop();

  assert.notEqual(statSync(join(dir, 'app.log')).ino, oldIno);
  assert.equal(text(inputs.get(oldFp)), firstText + appended, 'the old file, whole and only it');
  assert.equal(text(inputs.get(newFp)), newText, 'the new file, from its first byte, once');
  assert.deepEqual([...inputs.keys()].sort(), [oldFp, newFp].sort());
});
