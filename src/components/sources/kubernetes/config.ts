import * as z from 'zod';

/** `sources.kubernetes`: follow OpenUnison's pod logs through the Kubernetes API (the watcher). */
export const kubernetesSourceSchema = z.lazy(() =>
  z
    .object({
      namespace: z.string().min(1).default('openunison').describe("namespace of OpenUnison's pods"),
      labelSelector: z.string().min(1).default('application=openunison-orchestra').describe('label selector of the pods to follow'),
      container: z.string().min(1).default('openunison-orchestra').describe('container whose log is read'),
      context: z.string().min(1).optional().describe('kubeconfig context (default: the current one, or in-cluster)'),
      idleReconnectSeconds: z
        .number()
        .int()
        .min(10)
        .max(86_400)
        .default(300)
        .describe('re-open a follow stream silent this long: a dropped connection is otherwise invisible (resuming is exact)'),
    })
    .strict(),
);
