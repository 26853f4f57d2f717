import * as z from 'zod';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;

/** `90s`, `10m`, `24h`, `7d` in a rule or config file -> milliseconds (a plain number is milliseconds already). */
export const durationSchema = z.union(
  [
    z.number().int().min(0),
    z
      .string()
      .regex(PATTERN, 'expected a duration such as 90s, 10m, 24h or 7d (units ms, s, m, h, d)')
      .transform((s) => {
        const m = PATTERN.exec(s)!;
        return Math.round(Number(m[1]) * UNITS[m[2]]);
      }),
  ],
  { error: 'expected a duration such as 90s, 10m, 24h or 7d (units ms, s, m, h, d)' },
);

/** Milliseconds as a short human duration: `850 ms`, `42 s`, `4 min 12 s`, `3.5 h`, `2.0 d`. */
export function formatDuration(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < 1000) return `${Math.round(ms)} ms`;
  if (abs < 60_000) return `${trim(ms / 1000)} s`;
  if (abs < 3_600_000) {
    const min = Math.floor(abs / 60_000);
    const s = Math.round((abs % 60_000) / 1000);
    return `${ms < 0 ? '-' : ''}${min} min${s ? ` ${s} s` : ''}`;
  }
  if (abs < 172_800_000) return `${trim(ms / 3_600_000)} h`;
  return `${trim(ms / 86_400_000)} d`;
}

function trim(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1).replace(/\.0$/, '');
}

/**
 * A duration kept as written (`90d`), for configuration files: the daemon validates its
 * configuration again after applying flags, so a field's output must pass its own schema.
 * `durationMs` turns it into milliseconds where it is used.
 */
export const durationText = z
  .string({ error: 'expected a duration such as 90s, 10m, 24h or 7d' })
  .regex(PATTERN, 'expected a duration such as 90s, 10m, 24h or 7d (units ms, s, m, h, d)');

export function durationMs(text: string): number {
  const m = PATTERN.exec(text);
  if (m === null) throw new RangeError(`not a duration: ${JSON.stringify(text)}`);
  return Math.round(Number(m[1]) * UNITS[m[2]]);
}
