/** What every corpus generator takes and returns. */
export interface CorpusOptions {
  /** Lines to write (a multi-line record at the end may add a few more). */
  lines: number;
  /** Users to draw from (the benign, organisation and storm corpora; many-users has lines / 2 of them). */
  users?: number;
  /** People at work at any moment, drawn from `users` (benign: 60; organisation: 10,000). */
  active?: number;
  seed?: number;
  /** storm: the share of successes from a random public address (default STORM_PUBLIC_SHARE); 0.3 makes a heavy storm, an alert for every other line or so. */
  publicShare?: number;
  /** Log time of the first line. */
  start?: Date;
}

export interface Written {
  lines: number;
  bytes: number;
}
