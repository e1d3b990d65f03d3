import type { PlanDeps } from '../plan/build-plan.js';
import type { ConfigFile } from '../config/schema.js';
import { discover } from '../cluster/discovery.js';
import { refuseLoopbackEndpoint } from '../cluster/endpoint.js';
import { openCluster } from '../cluster/session.js';
import { createBootstrapToken } from '../cluster/tokens.js';
import { UsageErrors } from '../errors.js';

/**
 * `render` with a kubeconfig: fills the join values the user did not give from the cluster
 * (endpoint, CA hash, version, CIDRs), and creates a bootstrap token only when asked to.
 * Explicit values always win. Mutates `config` in place.
 */
export async function fillFromCluster(ctx: PlanDeps, config: ConfigFile, createToken: boolean): Promise<void> {
  const cluster = await openCluster({ kubeconfig: config.kubeconfig, context: config.context, env: ctx.env, cwd: ctx.cwd, requestTimeoutMs: ctx.requestTimeoutMs, signal: ctx.signal }, ctx.output.sink);
  const facts = await discover(cluster);
  const c = config.cluster;
  const filled: string[] = [];
  if (!c.apiServer) {
    // Before the token below is made: a script for a loopback endpoint is refused.
    refuseLoopbackEndpoint(facts.endpoint, facts.endpointSource);
    c.apiServer = facts.endpoint;
    filled.push(`endpoint ${facts.endpoint} (${facts.endpointSource})`);
  }
  if (!c.caCertHash && facts.caCertHash) {
    c.caCertHash = facts.caCertHash;
    filled.push(`CA hash ${facts.caCertHash}`);
  }
  if (!config.pool.kubernetesVersion) {
    config.pool.kubernetesVersion = facts.version;
    filled.push(`Kubernetes ${facts.version}`);
  }
  if (!c.serviceCidr && facts.serviceCidr) {
    c.serviceCidr = facts.serviceCidr;
    filled.push(`services ${facts.serviceCidr}`);
  }
  if (!c.podCidr && facts.podCidr) {
    c.podCidr = facts.podCidr;
    filled.push(`pods ${facts.podCidr}`);
  }
  if (filled.length > 0) ctx.output.info(`from the cluster: ${filled.join(', ')}`);
  if (!c.caCertHash) throw new UsageErrors(['--ca-cert-hash: the cluster CA could not be read; pass it explicitly']);
  if (createToken) {
    const token = await createBootstrapToken(cluster, { pool: config.pool.name, ttlSeconds: c.tokenTtl, description: `win-k8s render for pool ${config.pool.name}` });
    ctx.output.addSecret(token.token);
    c.token = token.token;
    ctx.output.success(`created bootstrap token ${token.id} (expires ${token.expiresAt.toISOString()}); delete it early with: kubectl -n kube-system delete secret ${token.secretName}`);
  }
}
