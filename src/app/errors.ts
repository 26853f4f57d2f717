import { UserFixableError } from '../core/errors.js';

/**
 * A request an analyst can fix: a malformed filter, an unknown id or rule, a DN never seen.
 * The CLI prints it on one line and exits 2; the console's API answers 400 (404 for NotFound).
 */
export class ReviewError extends UserFixableError {}

/** The thing asked for does not exist. */
export class NotFoundError extends ReviewError {}

/** Errors a person fixes (arguments, configuration, input, the db path, a held lease): one line, exit 2. */
export function isUserFixable(err: unknown): boolean {
  return err instanceof UserFixableError || err instanceof RangeError;
}
