import pino, { type Logger } from 'pino';
import type { Config } from './config.js';

export type LogLevel = Config['server']['logLevel'];

/**
 * The daemon's structured log: one JSON object per line on stderr (stdout carries alerts).
 * Writes are synchronous so the last lines before a crash or exit are never lost; the daemon
 * logs little (start, rotations, reconnects, one debug line per commit).
 */
export function createLogger(level: LogLevel): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ dest: 2, sync: true }),
  );
}
