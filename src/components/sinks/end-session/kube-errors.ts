import { UserFixableError } from '../../../core/errors.js';
/** Errors of the Kubernetes calls, without loading the client (see kube-clients.ts). */

export type KubeStep = 'delete-oidc-sessions' | 'create-endsession';

export class KubeCallError extends Error {
  constructor(
    readonly step: KubeStep,
    /** HTTP status, or null when no answer came (connection refused, timeout). */
    readonly code: number | null,
    /** Whether trying again later can succeed. */
    readonly retryable: boolean,
    message: string,
  ) {
    super(message);
  }
}

/** A missing or unusable Kubernetes configuration (the CLI exits 2). */
export class KubeConfigError extends UserFixableError {}

