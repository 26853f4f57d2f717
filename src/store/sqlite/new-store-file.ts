import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { renewStoreInstance } from './store-meta.js';

/** Where the build writes the schema of a new store (under dist/): `npm run build`. */
export const STORE_SNAPSHOT_FILE = 'store-schema.sqlite';

const SQLITE_MAGIC = 'SQLite format 3\u0000';

/**
 * The schema version (`user_version`, a big-endian integer at byte 60 of SQLite's header) of
 * a database image; null when the bytes are not one.
 */
export function snapshotVersion(image: Buffer): number | null {
  if (image.length < 100 || image.toString('latin1', 0, SQLITE_MAGIC.length) !== SQLITE_MAGIC) return null;
  return image.readUInt32BE(60);
}

/**
 * Creates the file of a new store at `full` from `snapshot`, the image of a store just
 * migrated (the build's, made by `migratedSnapshot`), with an instance id of its own: the 14
 * migrations took 13-18 ms of every replay into a new store. The copy is written to a file of
 * its own (mode 0600), synced, and linked into place, so that nobody opens it half-written;
 * when another process created the store first, theirs is kept. False when it could not be
 * done this way (a file system without hard links, a directory not writable): the caller
 * creates an empty file and migrates it.
 */
export function createFromSnapshot(full: string, snapshot: Buffer): boolean {
  const temp = `${full}.${process.pid}.${randomBytes(4).toString('hex')}.new`;
  let fd: number;
  try {
    fd = openSync(temp, 'wx', 0o600);
  } catch {
    return false;
  }
  try {
    try {
      const image = ownCopy(snapshot);
      writeAll(fd, image);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(temp, full);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return false;
    }
    return true;
  } finally {
    try {
      unlinkSync(temp);
    } catch {
      // Already gone: nothing to clean.
    }
  }
}

/** The snapshot with an instance id of its own (the value schema 6's migration writes for every new store). */
function ownCopy(snapshot: Buffer): Buffer {
  const db = new Database(snapshot);
  try {
    renewStoreInstance(db);
    return db.serialize();
  } finally {
    db.close();
  }
}

function writeAll(fd: number, bytes: Buffer): void {
  for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
}
