/** A typed array whose elements may still have to be read in before use. */
export type Section = Uint8Array | Uint16Array | Uint32Array | Int32Array;

/**
 * Brings elements of a table's sections into memory before they are read. A table read from
 * its cache file is paged in on demand (table-cache.ts), so that a start-up pays only for the
 * parts a run's addresses touch; a table just built is all in memory already.
 */
export interface Residency {
  /** Makes elements [from, to) of `section` readable; throws TableFileDamaged when their bytes fail their checksum. */
  ensure(section: Section, from: number, to: number): void;
}

export const ALL_RESIDENT: Residency = { ensure: () => undefined };

/** A page of a table's cache file did not match its checksum: the table must be built again from its sources. */
export class TableFileDamaged extends Error {}
