import { AddressDescriber, type NetworkBits } from '../components/enrich/address-info.js';
import type { LogEvent } from '../core/log-event.js';
import type { EventBatch } from './batch.js';
import { EventView } from './event-view.js';
import { MainTables } from './tables.js';
import { InputParser } from './worker/input-parser.js';
import { WorkerTables } from './worker/tables.js';

/**
 * The worker's parsing run in the calling thread, for the few lines a command looks at
 * (`ouwatch explain`): the same decoder, scanner and address data, so a line reads exactly as
 * it does in a replay.
 */
export function parseInline(bytes: Buffer, opts: { timeZone: string; networkBits: NetworkBits; origin: string; startLineNo?: number; maxLineBytes?: number }): {
  batch: EventBatch;
  events: LogEvent[];
} {
  const tables = new WorkerTables(new AddressDescriber(opts.networkBits));
  const parser = new InputParser({ input: 0, startOffset: 0, startLineNo: opts.startLineNo ?? 0, timeZone: opts.timeZone, maxLineBytes: opts.maxLineBytes ?? 1 << 20, format: null }, tables);
  const first = parser.chunk(bytes);
  const last = parser.end();
  const main = new MainTables();
  main.apply(first.added);
  main.apply(last.added);
  const events: LogEvent[] = [];
  for (const b of [first, last]) for (let i = 0; i < b.count; i++) events.push(new EventView(main).at(b, i, 0, opts.origin));
  return { batch: first, events };
}
