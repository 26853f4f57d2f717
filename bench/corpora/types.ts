/** What every corpus generator takes and returns. */
export interface CorpusOptions {
  /** Lines to write (a multi-line record at the end may add a few more). */
  lines: number;
  /** Users to draw from (the benign and storm corpora; many-users has lines / 2 of them). */
  users?: number;
  seed?: number;
  /** Log time of the first line. */
  start?: Date;
}

export interface Written {
  lines: number;
  bytes: number;
}
