import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { DEFAULT_NETWORK_BITS } from '../../src/components/enrich/address-info.js';
import { IngestWorker } from '../../src/pipeline/worker-client.js';
import { runCli } from '../helpers/cli.js';
import { esSearchResponse, mergedSample } from '../helpers/exports.js';
import { tempDir } from '../helpers/tmp.js';
import { writeFileSync } from 'node:fs';

// Skipped lines are counted by reason, and the bytes they held are counted too: one broken spot
// in a one-line JSON export is passed over up to the end of the document (JSON strings hold no
// raw newline, so a new line is the only safe place to start again), which can be most of the
// file. The summary says how much, so a responder knows the archive was not read whole.

const SAMPLE = fileURLToPath(new URL('../../fixtures/sample/openunison-orchestra-0.log', import.meta.url));
const settings = { timeZone: 'UTC', maxLineBytes: 4096, networkBits: DEFAULT_NETWORK_BITS };

async function parse(bytes: Buffer): Promise<{ lines: number; skippedBytes: number; events: number }> {
  const worker = new IngestWorker(settings);
  try {
    const input = worker.open(0, 0);
    const batches = [];
    for (let i = 0; i < bytes.length; i += 65_536) batches.push(await worker.write(input, bytes.subarray(i, i + 65_536)));
    batches.push(await worker.end(input));
    return batches.reduce((t, b) => ({ lines: t.lines + b.lines, skippedBytes: t.skippedBytes + b.skippedBytes, events: t.events + b.count }), { lines: 0, skippedBytes: 0, events: 0 });
  } finally {
    await worker.terminate();
  }
}

/** The first 300 lines of the sample as a compact `_search` response, broken at a hit's `message` key a third of the way in. */
function brokenResponse(): { bytes: Buffer; lastGoodEnd: number } {
  const text = esSearchResponse(mergedSample().slice(0, 300));
  const at = text.indexOf('"message"', Math.floor(text.length / 3));
  const broken = text.slice(0, at) + '}}' + text.slice(at);
  // The hit before the damage is the last record read: it ends at the `}` before `,{"_index"`.
  const lastGoodEnd = Buffer.byteLength(broken.slice(0, broken.lastIndexOf('},{"_index"', at) + 1));
  return { bytes: Buffer.from(broken), lastGoodEnd };
}

describe('bytes passed over', () => {
  test('a plain log: the bytes of its binary and oversized lines, nothing for good ones', async () => {
    const good = readFileSync(SAMPLE).subarray(0, 200_000);
    const clean = await parse(Buffer.from(good.subarray(0, good.lastIndexOf(10) + 1)));
    assert.equal(clean.skippedBytes, 0);
    const binary = Buffer.from('\u0000\u0001garbage\u0002\n');
    const oversized = Buffer.from('x'.repeat(10_000) + '\n');
    const mixed = Buffer.concat([good.subarray(0, good.lastIndexOf(10) + 1), binary, oversized, Buffer.from('[2026-03-02 10:00:00,000][main] INFO  Foo - after\n')]);
    const r = await parse(mixed);
    assert.equal(r.skippedBytes, binary.length + oversized.length);
  });

  test('broken JSON in a compact response: from the last record read to the end of the document', async () => {
    const { bytes, lastGoodEnd } = brokenResponse();
    const r = await parse(bytes);
    assert.ok(r.lines > 50 && r.lines < 150, `a third of the 300 lines read: ${r.lines}`);
    // The document's last byte is its newline, where reading could start again.
    assert.equal(r.skippedBytes, bytes.length - 1 - lastGoodEnd);
  });

  test('the replay summary says how much of the input was passed over', async () => {
    const dir = tempDir();
    const { bytes, lastGoodEnd } = brokenResponse();
    const file = join(dir, 'search.json');
    writeFileSync(file, bytes);
    const r = await runCli(['replay', file, '--db', join(dir, 'store.db')]);
    assert.equal(r.code, 0, r.stderr);
    const kb = (n: number) => `${(n / 1e3).toFixed(0)} kB`;
    assert.match(r.stderr, new RegExp(`skipped: {2}1 \\(malformed 1, .*\\); ${kb(bytes.length - 1 - lastGoodEnd)} of input passed over$`, 'm'));
    assert.match(r.stderr, new RegExp(`input: {4}.*search\\.json \\(elasticsearch, from the start\\): [\\d,]+ lines, ${kb(bytes.length - 1 - lastGoodEnd)} of ${kb(bytes.length - 1)} passed over as unreadable$`, 'm'));
  });
});
