import assert from 'node:assert/strict';
import { kindName, type EventJson, type LineKind } from '../../src/core/events.js';
import { eventJson, type LogEvent } from '../../src/core/log-event.js';
import { DEFAULT_NETWORK_BITS } from '../../src/components/enrich/address-info.js';
import { parseInline } from '../../src/pipeline/inline.js';

/**
 * Lines read exactly as a replay reads them (decoder, scanner, interning and address data of
 * the ingest worker, run inline): the events they become, and what every line was.
 */
export function parseText(text: string | Buffer, opts: { origin?: string; firstLineNo?: number; timeZone?: string } = {}): { events: LogEvent[]; counts: Partial<Record<LineKind | 'event', number>> } {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  const { batch, events } = parseInline(bytes, {
    timeZone: opts.timeZone ?? 'UTC',
    networkBits: DEFAULT_NETWORK_BITS,
    origin: opts.origin ?? 'f',
    startLineNo: (opts.firstLineNo ?? 1) - 1,
  });
  const counts: Partial<Record<LineKind | 'event', number>> = {};
  for (let k = 0; k < batch.kinds.length; k++) if (batch.kinds[k] > 0) counts[k === 0 ? 'event' : kindName(k)] = batch.kinds[k];
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
