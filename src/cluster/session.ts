import type { EventSink } from '../output/output.js';
import { connect, type Cluster } from './client.js';
import { resolveKubeconfig } from './kubeconfig.js';

export interface SessionInput {
  kubeconfig?: string | undefined;
  context?: string | undefined;
  env: Record<string, string | undefined>;
  cwd: string;
  /** --request-timeout in milliseconds; 0 (the default) bounds only connecting and the TLS handshake. */
  requestTimeoutMs?: number | undefined;
  /** The run's abort signal: Ctrl-C cancels API requests in flight. */
  signal?: AbortSignal | undefined;
}

/**
 * Resolves the kubeconfig and connects; announces the context, cluster and server on stderr
 * before anything else happens, so nobody changes the wrong cluster by accident.
 */
export async function openCluster(input: SessionInput, sink: EventSink): Promise<Cluster> {
  const resolved = resolveKubeconfig({ flag: input.kubeconfig, context: input.context, env: input.env, cwd: input.cwd });
  sink({ level: 'info', message: `using context "${resolved.contextName}" (cluster "${resolved.clusterName}", server ${resolved.server}) from ${resolved.origin}` });
  return connect(resolved, { requestTimeoutMs: input.requestTimeoutMs ?? 0, signal: input.signal });
}
