import { join } from 'node:path';
import type { Runtime } from '../runtime.js';
import { ConfigError, type Config } from '../config.js';
import { FileTailSource } from '../../components/sources/files/followed-files.js';
import { KubernetesSource } from '../../components/sources/kubernetes/pod-watcher.js';
import type { LiveContext, LiveSource } from '../../core/live-source.js';
import { CheckpointStore } from '../../store/sqlite/checkpoints.js';
import { StreamPositionStore } from '../../store/sqlite/stream-positions.js';

/**
 * The live sources a configuration asks for: tailed files (sidecar), the Kubernetes API
 * (watcher), the node's CRI files (DaemonSet). Several may run together; none is an error.
 */
export function buildSources(config: Config, runtime: Runtime, ctx: LiveContext, configFile: string): LiveSource[] {
  const s = config.sources;
  const common = {
    startAt: s.startAt,
    pollIntervalMs: s.pollIntervalMs,
    rescanIntervalMs: s.rescanIntervalMs,
    maxLineBytes: config.parse.maxLineBytes,
  };
  const out: LiveSource[] = [];
  const checkpoints = new CheckpointStore(runtime.db);
  if (s.files.length > 0) out.push(new FileTailSource({ name: 'files', patterns: s.files, ...common }, ctx, checkpoints));
  if (s.node !== undefined) out.push(new FileTailSource({ name: 'node', patterns: [nodeLogGlob(s.node)], ...common }, ctx, checkpoints));
  if (s.kubernetes !== undefined) {
    const k = s.kubernetes;
    out.push(
      new KubernetesSource(
        { ...k, startAt: s.startAt, maxLineBytes: config.parse.maxLineBytes },
        ctx,
        new StreamPositionStore(runtime.db),
        runtime.pipeline,
      ),
    );
  }
  if (out.length === 0) {
    throw new ConfigError(configFile, ['sources: nothing to read; give --file PATH|GLOB, --k8s or --node-dir, or sources.files, sources.kubernetes or sources.node']);
  }
  return out;
}

/** The kubelet keeps `<dir>/<namespace>_<pod>_<uid>/<container>/<restart>.log` and rotates to `<n>.log.<time>[.gz]`. */
export function nodeLogGlob(node: NonNullable<Config['sources']['node']>): string {
  return join(node.dir, `${node.namespace}_${node.pod}_*`, node.container, '*.log*');
}
