import { configSchema } from '../../src/app/config.js';
import { replayFiles } from '../../src/app/replay.js';
import { createRuntime } from '../../src/app/runtime.js';
import { errorsOnly, stderrLog } from '../../src/core/log.js';

/**
 * Replays `files` into the store at `db` (a SQLite path or a PostgreSQL URL) with responses in
 * manifest mode, for any alert's age, on a fixed wall clock: the actions recorded carry `now`.
 */
export async function replayResponding(db: string, files: string[], o: { manifestDir: string; now: number }): Promise<void> {
  const config = configSchema.parse({
    store: { path: db },
    respond: { mode: 'manifest', manifestDir: o.manifestDir, guards: { maxAlertAgeMinutes: null, maxFutureSkewMinutes: null } },
  });
  const runtime = await createRuntime(config, { command: 'replay', log: errorsOnly(stderrLog()), now: () => o.now });
  try {
    await replayFiles(files, runtime);
  } finally {
    await runtime.close();
  }
}
