import { loadConfig } from '../../src/app/config.js';
import { replayFiles } from '../../src/app/replay.js';
import { createRuntime, type RuntimeOptions } from '../../src/app/runtime.js';
import { silentLog } from '../../src/core/log.js';
import type { CommitReport } from '../../src/pipeline/committer.js';

/**
 * Replays `log` into the store at `db` and returns what `pick` takes from each commit's report,
 * in order. No retention: its log-time commits (test/pipeline/log-time-ticks.test.ts) would
 * mix with the commits under test.
 */
export async function replayCommits<T>(db: string, log: string, pick: (r: CommitReport) => T, opts: Omit<RuntimeOptions, 'onCommit' | 'command' | 'log'> = {}): Promise<T[]> {
  const config = loadConfig();
  config.store.path = db;
  config.store.retention = { ...config.store.retention, events: null, alerts: null, incidents: null };
  const picked: T[] = [];
  const runtime = await createRuntime(config, { ...opts, command: 'replay', log: silentLog, onCommit: (r) => void picked.push(pick(r)) });
  try {
    await replayFiles([log], runtime, {});
  } finally {
    await runtime.close();
  }
  return picked;
}
