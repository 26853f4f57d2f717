import type { Statement } from 'better-sqlite3';
import type { Db } from './database.js';

/** Rows one statement carries: past 32 the gain per row flattened in a loop of 200,000 rows. */
export const ROWS_PER_STATEMENT = 32;

/**
 * One INSERT … ON CONFLICT statement run for many rows at a time: `VALUES (…), (…), …` with
 * ROWS_PER_STATEMENT rows, the rest one by one at `flush`. Each call into SQLite has a fixed
 * cost (binding, stepping, resetting): a commit of a replay of many users writes four or five
 * rows per user, and one call per row was most of its history writes. SQLite applies the
 * conflict clause row by row, in order, so the result is that of as many single statements.
 * Only for rows whose number nobody needs back (not the users: theirs key the others).
 */
export class BatchedUpsert {
  private readonly one: Statement;
  private readonly many: Statement;
  private readonly args: unknown[];
  private held = 0;

  /**
   * @param head `INSERT INTO t (a, b, …) VALUES`
   * @param width the number of columns each row gives
   * @param tail `ON CONFLICT (…) DO UPDATE SET …`
   */
  constructor(
    db: Db,
    head: string,
    private readonly width: number,
    tail: string,
    private readonly rowsPerStatement = ROWS_PER_STATEMENT,
  ) {
    const tuple = `(${Array<string>(width).fill('?').join(', ')})`;
    this.one = db.prepare(`${head} ${tuple} ${tail}`);
    this.many = db.prepare(`${head} ${Array<string>(rowsPerStatement).fill(tuple).join(', ')} ${tail}`);
    this.args = new Array<unknown>(width * rowsPerStatement);
  }

  /** Adds a row (its values in the columns' order); written at once or by a later add or flush. */
  add(...values: unknown[]): void {
    if (values.length !== this.width) throw new Error(`a row of ${values.length} values for ${this.width} columns`);
    const at = this.held * this.width;
    for (let i = 0; i < this.width; i++) this.args[at + i] = values[i];
    if (++this.held === this.rowsPerStatement) {
      this.many.run(this.args);
      this.held = 0;
    }
  }

  /** Writes the rows still held (call before the transaction ends, and before reading the table). */
  flush(): void {
    for (let r = 0; r < this.held; r++) this.one.run(this.args.slice(r * this.width, (r + 1) * this.width));
    this.discard();
  }

  /**
   * Forgets the rows held without writing them: a commit that failed part way was rolled
   * back, and its rows must not reach the next one.
   */
  discard(): void {
    this.held = 0;
    // Lets the values go (a commit's last rows would otherwise stay on the heap until the next).
    this.args.fill(undefined);
  }
}
