import { renderBootstrap } from '../bootstrap/render.js';
import { formatTaint, POOL_LABEL, WINDOWS_TAINT } from '../cluster/nodes.js';
import type { ConfigFile } from '../config/schema.js';
import type { PlanDocument } from '../plan/plan-document.js';
import { bootstrapTarget } from '../plan/plan.js';

/**
 * What turns a fresh Windows VM into a node: the script the cloud runs at first boot. Today
 * one kind, kubeadm's token join (`provision` renders the same script without the join); an
 * EKS-style bootstrap script is another. A bootstrapper is half of the VM node source
 * (node-source.ts); a managed pool the cloud creates is the other kind of source.
 */
export interface Bootstrapper {
  readonly kind: 'kubeadm-token';
  /** join creates a bootstrap token for the run, and deletes it afterwards. */
  readonly needsToken: boolean;
  /** The script for one node; `token` is the run's token when needsToken. */
  script(nodeName: string, token: string | undefined): string;
}

export interface KubeadmBootstrapperInput {
  plan: PlanDocument;
  config: ConfigFile;
  mode: 'join' | 'provision';
  toolVersion: string;
}

export function kubeadmBootstrapper({ plan, config, mode, toolVersion }: KubeadmBootstrapperInput): Bootstrapper {
  const labels = { ...config.pool.labels, [POOL_LABEL]: config.pool.name };
  const taints = [...new Set([...config.pool.taints, ...(config.pool.taintWindows ? [formatTaint(WINDOWS_TAINT)] : [])])];
  return {
    kind: 'kubeadm-token',
    needsToken: mode === 'join',
    script: (nodeName, token) =>
      renderBootstrap({
        // The nodes are built from the plan's target, the one `plan` and `--dry-run` printed.
        target: bootstrapTarget(plan.target),
        nodeName,
        apiServer: plan.cluster.endpoint,
        token: token ?? '',
        caCertHash: plan.cluster.caCertHash ?? '',
        serviceCidr: plan.cluster.serviceCidr ?? '10.96.0.0/12',
        clusterCidr: plan.cluster.podCidr ?? '10.244.0.0/16',
        // The node's flannel must use the cluster's VNI: its HNS network is named after it.
        flannelVni: plan.cluster.cni.vni ?? undefined,
        labels,
        taints,
        proxy: { http: config.proxy.http, https: config.proxy.https, noProxy: config.proxy.noProxy },
        checksums: config.pool.checksums,
        allowUnsupported: config.pool.allowUnsupported,
        toolVersion,
        mode,
      }).script,
  };
}
