import picomatch from 'picomatch';

/**
 * DN include/exclude patterns, as globs (picomatch): `*` any run of characters, `?` one,
 * `[abc]`, `{a,b}`; case-insensitive, as LDAP compares names. DNs are not paths and escape
 * commas with a backslash, so `/` and `\` are matched as plain characters (picomatch would
 * treat them as separators and escapes).
 */
const SLASH = '\uE000';
const BACKSLASH = '\uE001';
const literal = (s: string) => s.replaceAll('/', SLASH).replaceAll('\\', BACKSLASH);
const OPTIONS: picomatch.PicomatchOptions = { nocase: true, dot: true, nonegate: true, noextglob: true };

export class DnPatterns {
  private readonly include: Array<(s: string) => boolean>;
  private readonly exclude: Array<(s: string) => boolean>;
  /** Verdict per DN: users come back on most lines. */
  private readonly cache = new Map<string, boolean>();
  /** The last DN asked about: several rules share one instance and ask in turn for each event. */
  private lastDn: string | null = null;
  private lastVerdict = true;

  constructor(
    readonly includes: readonly string[],
    readonly excludes: readonly string[],
    private readonly maxCached = 50_000,
  ) {
    this.include = includes.map((p) => picomatch(literal(p), OPTIONS));
    this.exclude = excludes.map((p) => picomatch(literal(p), OPTIONS));
  }

  /** True when the patterns restrict anything at all (else the engine skips them). */
  get active(): boolean {
    return this.include.length > 0 || this.exclude.length > 0;
  }

  /** `dn` must be the canonical (detached, shared) string enrich hands out: it becomes a cache key. */
  allows(dn: string): boolean {
    if (dn === this.lastDn) return this.lastVerdict;
    let verdict = this.cache.get(dn);
    if (verdict === undefined) {
      verdict = this.why(dn) === null;
      if (this.cache.size >= this.maxCached) this.cache.clear();
      this.cache.set(dn, verdict);
    }
    this.lastDn = dn;
    this.lastVerdict = verdict;
    return verdict;
  }

  /** Why `dn` is left out (for explanations), or null when the rule applies to it. */
  why(dn: string): string | null {
    const s = literal(dn);
    if (this.include.length > 0 && !this.include.some((m) => m(s))) return `matches none of the include patterns ${this.includes.map((p) => JSON.stringify(p)).join(', ')}`;
    const i = this.exclude.findIndex((m) => m(s));
    return i >= 0 ? `matches the exclude pattern ${JSON.stringify(this.excludes[i])}` : null;
  }
}

/**
 * One glob over free text (a URL, a message, a DN) with the same rules as DN patterns: `*`
 * matches any run of characters, slashes and backslashes included; case-insensitive.
 */
export function textGlob(pattern: string): (s: string) => boolean {
  const m = picomatch(literal(pattern), OPTIONS);
  return (s) => m(literal(s));
}
