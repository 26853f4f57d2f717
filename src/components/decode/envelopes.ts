/**
 * Log platforms' whole responses whose records sit under a key replay does not walk (of the
 * envelopes, only a search response's `hits.hits` is read): recognised from an input's first
 * bytes after a run found no event in it, to say how to ask for the records alone.
 */
const ENVELOPES = [
  {
    key: '"events"',
    marker: '"logStreamName"',
    name: "CloudWatch Logs' whole response",
    fix: "ask for its events alone (`aws logs filter-log-events … --query 'events[]'`, or `jq '.events'`)",
  },
  {
    key: '"entries"',
    marker: '"insertId"',
    name: "the Cloud Logging API's whole response (entries.list)",
    fix: "ask for its entries alone (`jq '.entries'`), or read them with `gcloud logging read --format=json`",
  },
] as const;

/** How far into the document its records' key is looked for. */
const KEY_WITHIN = 4096;

/** What the text (an input's first bytes) is and how to export its records alone, or null. */
export function envelopeAdvice(text: string): { name: string; fix: string } | null {
  const t = text.trimStart();
  if (!t.startsWith('{')) return null;
  for (const e of ENVELOPES) {
    const k = t.indexOf(e.key);
    if (k < 0 || k > KEY_WITHIN || !/^\s*:\s*\[/.test(t.slice(k + e.key.length, k + e.key.length + 64))) continue;
    if (t.includes(e.marker)) return { name: e.name, fix: e.fix };
  }
  return null;
}
