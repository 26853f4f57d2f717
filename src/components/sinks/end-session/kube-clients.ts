import type { OpenUnisonApi } from './kube-client.js';

/**
 * One OpenUnison API client per kubeconfig context (a control plane and its satellites each
 * run their own OpenUnison). `@kubernetes/client-node` is imported on first use only.
 */
export class KubeClients {
  private readonly clients = new Map<string, OpenUnisonApi>();

  constructor(private readonly opts: { kubeconfig?: string; timeoutMs: number }) {}

  /** Throws KubeConfigError when the configuration or the context cannot be used. */
  async get(context: string | null): Promise<OpenUnisonApi> {
    const key = context ?? '';
    let c = this.clients.get(key);
    if (c === undefined) {
      const { KubeOpenUnisonApi, loadKubeConfig } = await import('./kube-client.js');
      c = new KubeOpenUnisonApi(loadKubeConfig({ kubeconfig: this.opts.kubeconfig, context }), this.opts.timeoutMs);
      this.clients.set(key, c);
    }
    return c;
  }
}
