import { ChunkSequence, StateTable, type StateCodec, type StateRow } from './state-table.js';

/** Makes a state table of `scope`, starting from the state in force for it. */
export type OpenTable = <S>(scope: string, codec: StateCodec<S>) => StateTable<S>;

/** The state rows a commit writes and deletes. */
export interface StateWrites {
  puts: StateRow[];
  deletes: Array<{ scope: string; key: string }>;
  /** Stored rows that expired before this log time are deleted (null before any event). */
  expiredBefore: number | null;
}

/**
 * The engine's state tables: the detectors' own (one set per rules load) and the incident
 * windows. Loaded at start-up, collected and committed with the engine, and handed over from
 * one set of rules to the next.
 */
export class DetectorState {
  /** Rows by scope: those loaded at start-up, then those in force at the last rules reload. */
  private stored = new Map<string, StateRow[]>();
  private tables: Array<StateTable<unknown>> = [];
  /** Numbers the chunk rows of every chunked table, across rules reloads. */
  private readonly chunks = new ChunkSequence();

  constructor(private readonly incidentWindows: StateTable<unknown>) {}

  /** Start-up: the stored rows of every scope. */
  load(rows: readonly StateRow[]): void {
    this.stored = new Map();
    for (const row of rows) {
      const list = this.stored.get(row.scope) ?? [];
      list.push(row);
      this.stored.set(row.scope, list);
    }
    for (const t of [...this.tables, this.incidentWindows]) t.loadRows(this.stored.get(t.scope) ?? []);
  }

  /**
   * A rules (re)load: the tables `build` opens replace the detectors' current ones. The state
   * in force (not the state loaded at start-up) goes on in the new rules' tables of the same
   * scope: a reload must not forget half a burst, nor bring back a spent one.
   */
  reopen<T>(build: (open: OpenTable) => T): T {
    for (const t of this.tables) this.stored.set(t.scope, t.rows());
    const tables: Array<StateTable<unknown>> = [];
    const made = build(<S>(scope: string, codec: StateCodec<S>) => {
      const t = new StateTable<S>(scope, codec, this.chunks);
      t.loadRows(this.stored.get(t.scope) ?? []);
      tables.push(t as StateTable<unknown>);
      return t;
    });
    this.tables = tables;
    return made;
  }

  /** The changes since the last commit; `watermark` is the latest log time seen. */
  collect(watermark: number): StateWrites {
    const puts: StateRow[] = [];
    const deletes: Array<{ scope: string; key: string }> = [];
    for (const t of this.tables) t.collect(puts, deletes, watermark);
    this.incidentWindows.collect(puts, deletes, watermark);
    return { puts, deletes, expiredBefore: watermark > Number.NEGATIVE_INFINITY ? watermark : null };
  }

  /** The collected changes are stored. */
  committed(): void {
    for (const t of this.tables) t.committed();
    this.incidentWindows.committed();
  }

  /** Between commits: tables grown large forget their entries closed before log time `now`. */
  pruneIfLarge(now: number): void {
    for (const t of this.tables) t.pruneIfLarge(now);
    this.incidentWindows.pruneIfLarge(now);
  }

  /** Forgets entries whose window closed before log time `now`. */
  sweep(now: number): void {
    for (const t of this.tables) t.sweep(now);
    this.incidentWindows.sweep(now);
  }
}
