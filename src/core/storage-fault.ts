/**
 * The store cannot be written for a reason outside ouwatch: the disk is full, the file system
 * or a file became read-only or immutable, an I/O error, the database server cannot be reached. Nothing in memory is wrong, so the
 * daemon pauses (reads nothing it cannot commit) and resumes from its last commit once the
 * store is writable again; a replay stops with one line naming the store and the cause, its
 * checkpoints as of its last commit.
 */
export type StorageFaultKind = 'full' | 'read-only' | 'io' | 'busy' | 'unavailable';

export class StorageFault extends Error {
  constructor(
    /** The store (db path) that cannot be written. */
    readonly store: string,
    readonly kind: StorageFaultKind,
    /** What is wrong, for a person: `no space left on the volume (0 bytes free)`. */
    readonly reason: string,
  ) {
    super(`cannot write ${store}: ${reason}`);
  }
}
