import { UsageErrors } from '../errors.js';

/**
 * What new nodes can reach of an API endpoint. Its own module, free of the API client and the
 * network stack: `render` checks the endpoint it was given without loading either.
 */

/** An API endpoint (host:port) only the machine it names can reach: new nodes never can. */
export function isLoopbackEndpoint(endpoint: string): boolean {
  const host = endpoint.replace(/:\d+$/, '');
  return /^(127\.|localhost$|\[::1\]$)/.test(host);
}

/**
 * plan's endpoint check, for render: a script that joins a loopback address can never work on
 * another machine, so it is refused (exit 2) before a token is made for it.
 */
export function refuseLoopbackEndpoint(endpoint: string, source: string): void {
  if (!isLoopbackEndpoint(endpoint)) return;
  throw new UsageErrors(
    [`--api-server: the API endpoint ${endpoint} (from ${source}) is a loopback address that new nodes cannot reach`],
    'pass --api-server <host:port> that the Windows nodes can reach (kubeadm token create --print-join-command prints it), or set controlPlaneEndpoint in kubeadm-config / cluster-info',
  );
}
