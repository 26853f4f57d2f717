/**
 * An error a person fixes (an argument, the configuration, an input file, the database path, a
 * lease another process holds): the CLI prints it on one line and exits 2. Its own module, so
 * recognising one does not load the module that throws it (start-up stays fast).
 */
export class UserFixableError extends Error {}
