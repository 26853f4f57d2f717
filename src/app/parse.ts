import type { Config } from './config.js';
import type { LogEvent } from '../core/log-event.js';
import { ArchiveInput } from '../components/sources/files/archive-input.js';
import { checkInputPaths } from '../components/sources/files/replay-inputs.js';
import { Ingest } from '../pipeline/ingest.js';
import { IngestWorker } from '../pipeline/worker-client.js';

/**
 * `ouwatch parse`: the events of log files, in log-time order, through the same worker and
 * merge as a replay but without a store or detection. `write` receives each event and
 * `flush` is awaited every few thousand lines, so a slow reader holds the reading back.
 */
export async function parseFiles(config: Config, paths: string[], write: (e: LogEvent) => void, flush: () => Promise<void>): Promise<string[]> {
  await checkInputPaths(paths);
  const worker = new IngestWorker({ timeZone: config.parse.timeZone, maxLineBytes: config.parse.maxLineBytes, networkBits: config.detect.networks });
  let pending = 0;
  const ingest = new Ingest({
    worker,
    processor: {
      prepare: () => undefined,
      event: (e) => {
        pending++;
        write(e);
      },
      get pending() {
        return pending;
      },
      backlog: 0,
      newUsers: 0,
      heldAlerts: 0,
      heldRows: 0,
    },
    committer: {
      commit: async () => {
        pending = 0;
        await flush();
      },
    },
    mergeWindowMs: 0,
    commitEveryLines: 20_000,
    commitIntervalMs: null,
  });
  const inputs = paths.map((p) => new ArchiveInput(p));
  try {
    // Every input is identified and opened before any is read: an input opened later would
    // let the merge pass events of the first ones that come after its own.
    for (const input of inputs) await input.identify(null);
    const feeds = inputs.map((input) => ingest.open({ ...input.registration(), identity: { kind: 'none' } }));
    const pumps = inputs.map((input, i) => input.pump(feeds[i]));
    await ingest.finish();
    await Promise.all(pumps);
    await flush();
  } finally {
    for (const input of inputs) input.close();
    await worker.release();
  }
  return inputs.flatMap((i) => (i.warning === null ? [] : [i.warning]));
}
