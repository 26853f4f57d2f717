import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { eventJson } from '../../src/core/log-event.js';
import { REPO } from '../helpers/cli.js';
import { seeded } from '../helpers/lines.js';
import { parseText } from './scan.js';

// Log lines are attacker-influenced text (a DN, a URL, a header a client chose), and archives
// get damaged. Real OpenUnison lines, mutated at random (a fixed seed, so a failure repeats):
// separators and brackets inserted, characters cut, binary runs, control and bidi characters,
// lines cut short, impossible dates, one token repeated hundreds of times. Whatever a line
// becomes, it is read as an event or counted as what it is instead, and it changes nothing
// about how the lines around it are read.

const SAMPLE = readFileSync(join(REPO, 'fixtures', 'sample', 'openunison-orchestra-0.log'), 'utf8').split('\n').filter(Boolean).slice(0, 3000);

const TOKENS = ['] - [', '[', ']', ' - ', '\\,', ',', '=', '\u0000', '\t', '\u202e', '\u{1F4A5}', 'ä', '\\', '"', "'", '{', '}', '[AzSuccess]', '[ExpiredRefreshTokenUsed]', 'AccessLog - ', '2026-13-45 25:61:61,999', '9999-12-31 23:59:59,999', '0000-01-01 00:00:00,000', '999999999999999999999', '::ffff:1.2.3.4', 'fe80::1%eth0', '256.256.256.256', '[::1]', '1.2.3.4:5678', '  ', 'uid=', 'null', 'NaN', '__proto__', 'constructor'];

function mutator(seed: number): (line: string) => string {
  const rnd = seeded(seed);
  const below = (n: number) => Math.floor(rnd() * n);
  const pick = <T>(a: readonly T[]) => a[below(a.length)];
  // Any byte but a line break: each mutated line stays one line.
  const binary = () => Buffer.from(Array.from({ length: 1 + below(40) }, () => { const b = below(256); return b === 10 || b === 13 ? 32 : b; })).toString('latin1');
  return (line) => {
    for (let k = 0, n = 1 + below(4); k < n; k++) {
      const at = below(line.length + 1);
      const r = rnd();
      if (r < 0.3) line = line.slice(0, at) + pick(TOKENS) + line.slice(at);
      else if (r < 0.45) line = line.slice(0, at) + line.slice(at + 1 + below(20));
      else if (r < 0.55) line = line.slice(0, at);
      else if (r < 0.65) line = line.slice(0, at) + binary() + line.slice(at);
      else if (r < 0.75) { const other = pick(SAMPLE); line = line.slice(0, at) + other.slice(below(other.length)); }
      else if (r < 0.85) line = line.slice(0, at) + line.slice(at).replace(/\d/, () => String(below(10)));
      else line = line.slice(0, at) + pick(TOKENS).repeat(1 + below(300)) + line.slice(at);
    }
    return line;
  };
}

/** The sample's lines, every other one mutated (which ones: `mutated`). */
function damagedLog(seed: number): { lines: string[]; mutated: boolean[] } {
  const mutate = mutator(seed);
  const mutated = SAMPLE.map((_, i) => i % 2 === 1);
  return { lines: SAMPLE.map((l, i) => (mutated[i] ? mutate(l) : l)), mutated };
}

/** What a reader of an event relies on: its public JSON, without where it was read. */
const readAs = (e: ReturnType<typeof eventJson>) => ({ ...e, source: undefined });

for (const seed of [1, 2, 3]) {
  test(`mutated real lines (seed ${seed}): every line is an event or counted as another kind, and every event is whole`, () => {
    const { lines } = damagedLog(seed);
    const { events, counts } = parseText(Buffer.from(lines.join('\n') + '\n', 'latin1'));
    const counted = Object.values(counts).reduce((a, b) => a + (b ?? 0), 0);
    assert.equal(counted, lines.length, `every line counted once: ${JSON.stringify(counts)}`);
    assert.equal(events.length, counts.event ?? 0);
    assert.ok((counts.malformed ?? 0) + (counts.binary ?? 0) > 0, 'the mutations made malformed lines');
    for (const e of events) {
      const json = eventJson(e);
      assert.ok(Number.isFinite(e.ts) && e.ts > 0, `a time: ${JSON.stringify(json)}`);
      assert.doesNotThrow(() => JSON.stringify(json));
    }
  });

  test(`mutated real lines (seed ${seed}): the lines between them are read exactly as they are alone`, () => {
    const { lines, mutated } = damagedLog(seed);
    const together = parseText(Buffer.from(lines.join('\n') + '\n', 'latin1')).events.map(eventJson);
    const alone = parseText(SAMPLE.filter((_, i) => !mutated[i]).join('\n') + '\n').events.map(eventJson);
    // The intact lines' events, by their line numbers in the damaged log.
    const byLine = new Map(together.map((e) => [Number(e.source.split(':').at(-1)), e]));
    const intactLineNos = lines.map((_, i) => i + 1).filter((n) => !mutated[n - 1]);
    const found = intactLineNos.map((n) => byLine.get(n)).filter((e) => e !== undefined);
    assert.ok(alone.length > 1000, 'the sample has events');
    assert.equal(found.length, alone.length, 'each intact event line is still one event');
    assert.deepEqual(found.map(readAs), alone.map(readAs));
  });
}
