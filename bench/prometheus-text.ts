/**
 * The value of one series in Prometheus' text format (`name` or `name{label="v"}` as the
 * exporter writes it), or undefined when the text has no such line.
 */
export function seriesValue(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
