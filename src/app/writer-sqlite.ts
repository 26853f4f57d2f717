import { openWriter, sizePageCache } from '../store/sqlite/database.js';
import { OutputCursor } from '../store/sqlite/output-cursor.js';
import { SqlitePipelineStore } from '../store/sqlite/pipeline-store.js';
import { SqliteRetention } from '../store/sqlite/retention.js';
import { storageFaultOf, writeProblem } from '../store/sqlite/storage-fault.js';
import { sqliteDeliveryStore } from './delivery.js';
import type { WriterBackend, WriterOptions } from './writer-backend.js';

/**
 * A SQLite file opened by a writer: created (mode 0600) and migrated, its writer lease taken
 * (LeaseHeldError when a live process holds it: there is no standby on SQLite, one file has
 * one writer), the lease renewed inside every commit.
 */
export function openSqliteWriter(path: string, opts: WriterOptions): WriterBackend {
  const { db, lease, grant } = openWriter(path, opts.command);
  if (opts.live === true) sizePageCache(db, 'live');
  const checkWritable = () => {
    const problem = writeProblem(path);
    if (problem !== null) throw problem;
  };
  return {
    name: path,
    kind: 'sqlite',
    // Renewing the lease inside every commit fences it: a process that lost it cannot commit.
    store: new SqlitePipelineStore(db, { fence: () => lease.heartbeat() }),
    delivery: sqliteDeliveryStore(db),
    retention: new SqliteRetention(db),
    lease,
    grant,
    db,
    output: (consumer) => {
      const cursor = new OutputCursor(db, consumer);
      return {
        position: async () => cursor.position(),
        after: async (seq, limit) => cursor.after(seq, limit),
        printedThrough: async (seq) => cursor.printedThrough(seq),
        newest: async () => cursor.newest(),
        unprinted: async () => cursor.unprinted(),
      };
    },
    storageFault: (err) => storageFaultOf(err, path),
    checkWritable,
    ensureWritable: async () => checkWritable(),
    health: () => {
      try {
        db.prepare('SELECT 1').get();
        return 'open';
      } catch (err) {
        return `unavailable: ${(err as Error).message}`;
      }
    },
    close: async (release) => {
      // Closing checkpoints the WAL through the -shm mapping: with an immutable -shm that would
      // kill the process (SIGBUS). Left open, SQLite recovers it at the next open.
      if (writeProblem(path) !== null) return;
      await release();
      if (db.open) db.close();
    },
  };
}
