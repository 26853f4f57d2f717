import assert from 'node:assert/strict';
import { kindName, type EventJson, type LineKind } from '../../src/core/events.js';
import { eventJson, type LogEvent } from '../../src/core/log-event.js';
import { AddressDescriber, DEFAULT_NETWORK_BITS } from '../../src/components/enrich/address-info.js';
import { AsnTable } from '../../src/components/enrich/asn-table.js';
import { GeoTable } from '../../src/components/enrich/geo-table.js';
import { EventView } from '../../src/pipeline/event-view.js';
import { MainTables } from '../../src/pipeline/tables.js';
import { InputParser } from '../../src/pipeline/worker/input-parser.js';
import { WorkerTables } from '../../src/pipeline/worker/tables.js';

/**
 * The offline address tables, loaded once for the whole test process: they take a fraction of
 * a second to load, and `parseInline` (made for one line of `ouwatch explain`) loads them on
 * every call. test/parse/inline.test.ts checks that both read a log the same way.
 */
export const addressTables = { geo: new GeoTable(), asn: new AsnTable() };
export const describer = new AddressDescriber(DEFAULT_NETWORK_BITS, addressTables);

/**
 * Lines read exactly as a replay reads them (decoder, scanner, interning and address data of
 * the ingest worker, run inline, as `parseInline` does): the events they become, and how many
 * lines of each kind there were.
 */
export function parseText(text: string | Buffer, opts: { origin?: string; firstLineNo?: number; timeZone?: string } = {}): { events: LogEvent[]; counts: Partial<Record<LineKind | 'event', number>> } {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  const parser = new InputParser(
    { input: 0, startOffset: 0, startLineNo: (opts.firstLineNo ?? 1) - 1, timeZone: opts.timeZone ?? 'UTC', maxLineBytes: 1 << 20, format: null },
    new WorkerTables(describer),
  );
  const batches = [parser.chunk(bytes), parser.end()];
  const main = new MainTables();
  const events: LogEvent[] = [];
  const counts: Partial<Record<LineKind | 'event', number>> = {};
  for (const b of batches) {
    main.apply(b.added);
    for (let i = 0; i < b.count; i++) events.push(new EventView(main).at(b, i, 0, opts.origin ?? 'f'));
    for (let k = 0; k < b.kinds.length; k++) if (b.kinds[k] > 0) counts[k === 0 ? 'event' : kindName(k)] = (counts[k === 0 ? 'event' : kindName(k)] ?? 0) + b.kinds[k];
  }
  return { events, counts };
}

/** The one line as an event (its public JSON), failing the test when it is not one. */
export function parseEvent(line: string, origin = 'openunison.log', lineNo = 7, timeZone = 'UTC'): EventJson {
  const { events, counts } = parseText(line + '\n', { origin, firstLineNo: lineNo, timeZone });
  assert.equal(events.length, 1, `expected an event, got ${JSON.stringify(counts)} for: ${line}`);
  return eventJson(events[0]);
}

/** A line of another class that starts every `kindOf` log, so the log is plain log4j text. */
const PRELUDE = '[2024-05-06 07:08:09,000][main] INFO  ConfigSys - started\n';

/** What one line of a plain log4j log is: an event, or the kind of line it is instead. */
export function kindOf(line: string | Buffer): LineKind | 'event' {
  const bytes = typeof line === 'string' ? Buffer.from(line) : line;
  const { counts } = parseText(Buffer.concat([Buffer.from(PRELUDE), bytes, Buffer.from('\n')]));
  counts.other! -= 1;
  if (counts.other === 0) delete counts.other;
  const kinds = Object.keys(counts) as Array<LineKind | 'event'>;
  assert.deepEqual(Object.values(counts), [1], `one line, one kind: ${JSON.stringify(counts)}`);
  return kinds[0];
}
