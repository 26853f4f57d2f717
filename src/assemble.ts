import { fileURLToPath } from 'node:url';
import type { Config } from './config.js';
import { buildDelivery, type Delivery, type DeliveryOptions } from './outbox/setup.js';
import { Pipeline, type CommitHook, type DetectionStage } from './pipeline.js';
import { openDatabase, type Db } from './store/database.js';
import { stderrLog } from './util/log.js';

/** The rules shipped with ouwatch (used when neither --rules nor the config names a directory). */
export const BUNDLED_RULES_DIR = fileURLToPath(new URL('../rules', import.meta.url));

/** Everything a command needs to run the pipeline, built from one validated configuration. */
export interface Runtime {
  config: Config;
  db: Db;
  pipeline: Pipeline;
  /** Response (EndSession), notifications and the outbox worker that delivers both. */
  delivery: Delivery;
  /** Stops the outbox worker, then closes the db. */
  close(): Promise<void>;
}

/**
 * Wires the stages together from the configuration: the one place where `replay` and `run`
 * (and tests) get the same pipeline. Stages that need start-up validation (rules, response,
 * notification settings) fail here, before any input is read.
 */
export function assemble(config: Config, opts: Partial<DeliveryOptions> = {}): Runtime {
  const db = openDatabase(config.store.path);
  try {
    const detection: DetectionStage | null = null;
    const delivery = buildDelivery(db, config, { log: opts.log ?? stderrLog(), now: opts.now, storeAlert: opts.storeAlert, random: opts.random });
    const hooks: CommitHook[] = [...delivery.hooks];
    const pipeline = new Pipeline({ db, timeZone: config.parse.timeZone, detection, onCommit: hooks });
    return {
      config,
      db,
      pipeline,
      delivery,
      close: async () => {
        await delivery.close();
        db.close();
      },
    };
  } catch (err) {
    db.close();
    throw err;
  }
}
