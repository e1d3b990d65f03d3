import type * as k8s from '@kubernetes/client-node';
import { apiError, apiMessage, isNotFound, statusCode } from './client.js';
import type { Cluster } from './client.js';
import { madeByWinK8s } from './manifests.js';
import { MANAGED_SELECTOR } from './nodes.js';

/**
 * The cluster-wide objects `join` makes for Windows nodes in general, not for one pool: the
 * RuntimeClasses, the ClusterRoleBindings of windows-node-rbac.yaml and Calico's Windows
 * kube-proxy DaemonSet. They outlive any one pool, so `remove` deletes them only with the last
 * pool, and only the ones carrying win-k8s's managed-by label: a same-named object someone
 * made by hand has no such label and is never touched.
 */
export type ClusterObjectKind = 'RuntimeClass' | 'ClusterRoleBinding' | 'DaemonSet';

export interface ClusterObjectRef {
  kind: ClusterObjectKind;
  name: string;
  namespace?: string;
}

/** Where join puts the Calico kube-proxy DaemonSet (templates/manifests/calico-kube-proxy-windows.yaml). */
const DAEMONSET_NAMESPACE = 'kube-system';

export function describeObject(ref: ClusterObjectRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

/** The command that deletes it by hand, for a user the cluster lets do what win-k8s was refused. */
export function kubectlDelete(ref: ClusterObjectRef): string {
  return `kubectl delete ${ref.kind.toLowerCase()}${ref.namespace ? ` -n ${ref.namespace}` : ''} ${ref.name}`;
}


/** One kind that could not be listed (RBAC), with what to run instead. */
export interface UnlistedKind {
  kind: ClusterObjectKind;
  error: string;
  forbidden: boolean;
  command: string;
}

/** The win-k8s-labelled cluster-wide objects that exist now, and the kinds it could not look at. */
export async function listManagedClusterObjects(cluster: Cluster): Promise<{ objects: ClusterObjectRef[]; unlisted: UnlistedKind[] }> {
  const labelSelector = MANAGED_SELECTOR;
  const kinds: { kind: ClusterObjectKind; list: () => Promise<{ items: { metadata?: k8s.V1ObjectMeta }[] }>; command: string }[] = [
    { kind: 'RuntimeClass', list: () => cluster.node.listRuntimeClass({ labelSelector }), command: `kubectl delete runtimeclass -l ${labelSelector}` },
    { kind: 'ClusterRoleBinding', list: () => cluster.rbac.listClusterRoleBinding({ labelSelector }), command: `kubectl delete clusterrolebinding -l ${labelSelector}` },
    {
      kind: 'DaemonSet',
      list: () => cluster.apps.listNamespacedDaemonSet({ namespace: DAEMONSET_NAMESPACE, labelSelector }),
      command: `kubectl delete daemonset -n ${DAEMONSET_NAMESPACE} -l ${labelSelector}`,
    },
  ];
  const objects: ClusterObjectRef[] = [];
  const unlisted: UnlistedKind[] = [];
  for (const k of kinds) {
    try {
      // The selector already asks for the label; checking it again keeps a server that ignores
      // selectors from handing over someone else's object.
      for (const item of (await k.list()).items.filter(madeByWinK8s)) {
        objects.push({ kind: k.kind, name: item.metadata?.name ?? '', ...(k.kind === 'DaemonSet' ? { namespace: DAEMONSET_NAMESPACE } : {}) });
      }
    } catch (err) {
      if (statusCode(err) === 404) continue; // the API group is not served: nothing of that kind exists
      const status = statusCode(err);
      if (status !== 403) throw apiError(err, `list ${k.kind}s`, cluster.resolved.server);
      unlisted.push({ kind: k.kind, error: `forbidden: ${apiMessage(err)}`, forbidden: true, command: k.command });
    }
  }
  return { objects, unlisted };
}

export type DeleteOutcome = { deleted: true } | { deleted: false; error: string; forbidden: boolean };

/** Deletes one object; gone already counts as deleted. A refusal is returned, not thrown, so the rest still go. */
export async function deleteClusterObject(cluster: Cluster, ref: ClusterObjectRef): Promise<DeleteOutcome> {
  try {
    if (ref.kind === 'RuntimeClass') await cluster.node.deleteRuntimeClass({ name: ref.name });
    else if (ref.kind === 'ClusterRoleBinding') await cluster.rbac.deleteClusterRoleBinding({ name: ref.name });
    else await cluster.apps.deleteNamespacedDaemonSet({ name: ref.name, namespace: ref.namespace ?? DAEMONSET_NAMESPACE });
    return { deleted: true };
  } catch (err) {
    if (isNotFound(err)) return { deleted: true };
    const status = statusCode(err);
    if (status === undefined || status === 401) throw apiError(err, `delete ${describeObject(ref)}`, cluster.resolved.server);
    return { deleted: false, error: status === 403 ? `forbidden: ${apiMessage(err)}` : `${apiMessage(err)} (HTTP ${status})`, forbidden: status === 403 };
  }
}
