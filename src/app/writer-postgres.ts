import { randomBytes } from 'node:crypto';
import { LeaseHeldError, type LeaseHolder } from '../core/writer-lease.js';
import { isUnavailable, openError, openPool, type PgLocation } from '../store/postgres/connection.js';
import { PgActionStore, PgAlertResponses, pgStoreInstance } from '../store/postgres/actions.js';
import { migratePostgres } from '../store/postgres/database.js';
import { PgOutboxStore } from '../store/postgres/outbox.js';
import { PgOutputCursor } from '../store/postgres/output-cursor.js';
import { PgPipelineStore } from '../store/postgres/pipeline-store.js';
import { PgRetention } from '../store/postgres/retention.js';
import { pgStorageFaultOf } from '../store/postgres/storage-fault.js';
import { PgWriter } from '../store/postgres/writer.js';
import { StandbyCancelled, type WriterBackend, type WriterOptions } from './writer-backend.js';

/**
 * A PostgreSQL database opened by a writer: migrated, then the writer's connection takes the
 * advisory lock. A second writer is refused (LeaseHeldError), or with `standby` waits: it
 * tries the lock again every `pollMs` until the holder's connection ends (the process died,
 * its node is gone), then goes on as the writer from what is committed.
 */
export async function openPostgresWriter(name: string, loc: PgLocation, opts: WriterOptions): Promise<WriterBackend> {
  const pool = openPool(loc);
  const writer = new PgWriter(loc);
  try {
    await lock(writer, opts);
    // Migrated by the lock's holder only (as on SQLite: never under a running writer's feet).
    await migratePostgres(pool);
    const grant = await writer.recordHolder();
    const token = randomBytes(12).toString('hex');
    return {
      name,
      kind: 'postgres',
      store: new PgPipelineStore(pool, writer, token),
      delivery: { actions: new PgActionStore(pool), outbox: new PgOutboxStore(pool), alertResponses: new PgAlertResponses(pool), instance: await pgStoreInstance(pool) },
      retention: new PgRetention((fn) => writer.use(fn)),
      lease: writer,
      grant,
      db: null,
      output: (consumer) => new PgOutputCursor(pool, consumer),
      storageFault: (err) => pgStorageFaultOf(err, name),
      checkWritable: undefined,
      ensureWritable: async () => {
        await writer.ensure();
        await pool.query('SELECT 1');
      },
      health: () => (writer.holding ? 'open' : 'unavailable: the connection to the database server is lost'),
      close: async (release) => {
        await Promise.resolve(release()).catch(() => undefined);
        await writer.close();
        await pool.end();
      },
    };
  } catch (err) {
    await writer.close();
    await pool.end().catch(() => undefined);
    if (err instanceof LeaseHeldError || err instanceof StandbyCancelled) throw err;
    throw openError(loc, err);
  }
}

/** Takes the writer's lock: at once or LeaseHeldError, or (standby) when the holder stops. */
async function lock(writer: PgWriter, opts: WriterOptions): Promise<void> {
  const standby = opts.standby;
  if (standby === undefined) {
    const holder = await writer.tryLock(opts.command);
    if (holder !== null) throw new LeaseHeldError(writer.name, holder);
    return;
  }
  let shown: string | null = null;
  for (;;) {
    if (standby.signal?.aborted) throw new StandbyCancelled('stopped while standing by');
    let holder: LeaseHolder | null | undefined;
    try {
      holder = await writer.tryLock(opts.command);
    } catch (err) {
      if (!isUnavailable(err)) throw err;
      standby.unavailable?.(err as Error);
      shown = null;
    }
    if (holder === null) return;
    if (holder !== undefined) {
      const who = `${holder.command} ${holder.pid} ${holder.host} ${holder.since}`;
      if (who !== shown) {
        shown = who;
        standby.waiting(holder);
      }
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, standby.pollMs);
      standby.signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
    });
  }
}
