/**
 * Times given on a command line or in an API query: an ISO 8601 date or date-time (a time
 * without a zone is UTC, like the log times it is compared with), or a duration back from
 * now (`90m`, `24h`, `7d`, `2w`). Anything else is refused: `Date.parse` alone would read
 * `"' or 1=1"` as 2001-01-01.
 */

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const DURATION = /^(\d{1,6})(s|m|h|d|w)$/;
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

export const TIME_SPEC_HELP = 'an ISO 8601 date/time (2026-03-02, 2026-03-02T10:00Z) or a duration back from now (90m, 24h, 7d)';

/** Epoch ms, or null when `spec` is neither an ISO 8601 time nor a duration. */
export function parseTimeSpec(spec: string, now: number): number | null {
  const text = spec.trim();
  const rel = DURATION.exec(text);
  if (rel) return now - Number(rel[1]) * UNITS[rel[2]];
  const m = ISO.exec(text);
  if (m === null) return null;
  const [, y, mo, d, hh = '00', mi = '00', ss = '00', frac = '', zone = 'Z'] = m;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31 || Number(hh) > 23 || Number(mi) > 59 || Number(ss) > 59) return null;
  const z = zone === 'Z' ? 'Z' : zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const t = Date.parse(`${y}-${mo}-${d}T${hh}:${mi}:${ss}${frac.slice(0, 4)}${z}`);
  if (Number.isNaN(t)) return null;
  // 2026-02-30 parses as March 2nd in some engines: refuse dates that do not exist.
  if (zone === 'Z' && new Date(t).getUTCDate() !== day) return null;
  return t;
}
