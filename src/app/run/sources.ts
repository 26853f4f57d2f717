import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Runtime } from '../runtime.js';
import { ConfigError, type Config } from '../config.js';
import type { LiveSource, SourceContext } from '../../core/live-source.js';
import { FileTailSource } from '../../components/sources/files/followed-files.js';
import { KubernetesSource } from '../../components/sources/kubernetes/pod-watcher.js';

/**
 * The live sources a configuration asks for: tailed files (sidecar), the Kubernetes API
 * (watcher), the node's CRI files (DaemonSet). Several may run together; none is an error.
 * A new kind of source is one folder under components/sources and one entry here.
 */
export function buildSources(config: Config, runtime: Pick<Runtime, 'ingest' | 'store'>, log: Logger, configFile: string): LiveSource[] {
  const s = config.sources;
  const ctx: SourceContext = {
    ingest: runtime.ingest,
    log,
    checkpoint: (fp) => runtime.store.checkpoint(fp),
    checkpoints: () => runtime.store.checkpoints(),
    streamPosition: async (key) => {
      const p = await runtime.store.streamPosition(key);
      return p === null || p.stamp === null ? null : { stamp: p.stamp, count: p.offset, lineNo: p.lineNo };
    },
  };
  const common = { startAt: s.startAt, pollIntervalMs: s.pollIntervalMs, rescanIntervalMs: s.rescanIntervalMs, maxLineBytes: config.parse.maxLineBytes };
  const out: LiveSource[] = [];
  if (s.files.length > 0) out.push(new FileTailSource({ name: 'files', patterns: s.files, ...common }, ctx));
  if (s.node !== undefined) out.push(new FileTailSource({ name: 'node', patterns: [nodeLogGlob(s.node)], ...common }, ctx));
  if (s.kubernetes !== undefined) out.push(new KubernetesSource({ ...s.kubernetes, startAt: s.startAt, maxLineBytes: config.parse.maxLineBytes }, ctx));
  if (out.length === 0) {
    throw new ConfigError(configFile, ['sources: nothing to read; give --file PATH|GLOB, --k8s or --node-dir, or sources.files, sources.kubernetes or sources.node']);
  }
  return out;
}

/** The kubelet keeps `<dir>/<namespace>_<pod>_<uid>/<container>/<restart>.log` and rotates to `<n>.log.<time>[.gz]`. */
export function nodeLogGlob(node: NonNullable<Config['sources']['node']>): string {
  return join(node.dir, `${node.namespace}_${node.pod}_*`, node.container, '*.log*');
}
