import * as z from 'zod';

/** `sources.node`: read the kubelet's CRI log files of OpenUnison's pods on this node (DaemonSet). */
export const nodeSourceSchema = z.lazy(() =>
  z
    .object({
      dir: z.string().min(1).default('/var/log/pods').describe("the kubelet's pod log directory (hostPath)"),
      namespace: z.string().min(1).default('openunison'),
      pod: z.string().min(1).default('openunison-orchestra-*').describe('pod name pattern (glob)'),
      container: z.string().min(1).default('openunison-orchestra'),
    })
    .strict(),
);
