/**
 * Builders for realistic objects, shaped as a kubeadm / EKS / AKS cluster has them. Fixtures use
 * them; later tests can use them too (e.g. `makeNode({ name: 'win-1', os: 'windows' })`).
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { KubeObject } from './types.js';
import { rfc3339 } from './util.js';

export function ago(days: number, hours = 0): string {
  return rfc3339(new Date(Date.now() - (days * 24 + hours) * 3600_000));
}

const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
let suffixCounter = 0;
/** A deterministic 5-char suffix like the ones generateName and controllers append. */
export function suffix(seed: string, len = 5): string {
  let h = 2166136261 ^ ++suffixCounter;
  for (const c of seed) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  let s = '';
  for (let i = 0; i < len; i++) {
    h = Math.imul(h ^ (h >>> 13), 2654435761);
    s += SUFFIX_ALPHABET[Math.abs(h) % SUFFIX_ALPHABET.length];
  }
  return s;
}

export function makeNamespace(name: string, labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels }, creationTimestamp: ago(30) },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}

export function makeConfigMap(namespace: string, name: string, data: Record<string, string>, extra: { labels?: Record<string, string>; annotations?: Record<string, string> } = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace, creationTimestamp: ago(30), ...(extra.labels ? { labels: extra.labels } : {}), ...(extra.annotations ? { annotations: extra.annotations } : {}) },
    data,
  };
}

export interface NodeSpecOptions {
  name: string;
  os?: 'linux' | 'windows';
  arch?: 'amd64' | 'arm64';
  controlPlane?: boolean;
  internalIP: string;
  externalIP?: string;
  hostname?: string;
  podCIDR?: string;
  providerID?: string;
  kubeletVersion?: string;
  containerRuntimeVersion?: string;
  osImage?: string;
  kernelVersion?: string;
  ready?: boolean;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  taints?: Array<{ key: string; value?: string; effect: string }>;
  capacity?: { cpu?: string; memory?: string; pods?: string; 'ephemeral-storage'?: string };
  /** Windows build label value, e.g. 10.0.20348 (windows nodes only). */
  windowsBuild?: string;
  createdDaysAgo?: number;
}

/** A Node as a kubelet registers it (labels, addresses, nodeInfo, conditions). */
export function makeNode(o: NodeSpecOptions): KubeObject {
  const os = o.os ?? 'linux';
  const arch = o.arch ?? 'amd64';
  const hostname = o.hostname ?? o.name;
  const ready = o.ready ?? true;
  const heartbeat = ago(0, 0);
  const labels: Record<string, string> = {
    'beta.kubernetes.io/arch': arch,
    'beta.kubernetes.io/os': os,
    'kubernetes.io/arch': arch,
    'kubernetes.io/hostname': hostname,
    'kubernetes.io/os': os,
    ...(o.controlPlane ? { 'node-role.kubernetes.io/control-plane': '', 'node.kubernetes.io/exclude-from-external-load-balancers': '' } : {}),
    ...(os === 'windows' ? { 'node.kubernetes.io/windows-build': o.windowsBuild ?? '10.0.20348' } : {}),
    ...o.labels,
  };
  const cap = { cpu: '4', 'ephemeral-storage': '101430960Ki', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0', memory: '16374584Ki', pods: '110', ...o.capacity };
  const alloc = { ...cap, 'ephemeral-storage': '93478772582', memory: '16272184Ki' };
  if (os === 'windows') {
    delete (cap as Record<string, string>)['hugepages-1Gi'];
    delete (cap as Record<string, string>)['hugepages-2Mi'];
    delete (alloc as Record<string, string>)['hugepages-1Gi'];
    delete (alloc as Record<string, string>)['hugepages-2Mi'];
  }
  const cond = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    lastHeartbeatTime: heartbeat,
    lastTransitionTime: ago(o.createdDaysAgo ?? 30),
    reason,
    message,
  });
  const kubeletVersion = o.kubeletVersion ?? 'v1.33.2';
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: o.name,
      labels,
      annotations: {
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
        ...(os === 'linux' ? { 'kubeadm.alpha.kubernetes.io/cri-socket': 'unix:///var/run/containerd/containerd.sock' } : {}),
        ...o.annotations,
      },
      creationTimestamp: ago(o.createdDaysAgo ?? 30),
    },
    spec: {
      ...(o.podCIDR ? { podCIDR: o.podCIDR, podCIDRs: [o.podCIDR] } : {}),
      ...(o.providerID ? { providerID: o.providerID } : {}),
      ...(o.taints && o.taints.length > 0 ? { taints: o.taints } : o.controlPlane ? { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] } : {}),
    },
    status: {
      addresses: [
        { type: 'InternalIP', address: o.internalIP },
        ...(o.externalIP ? [{ type: 'ExternalIP', address: o.externalIP }] : []),
        { type: 'Hostname', address: hostname },
      ],
      allocatable: alloc,
      capacity: cap,
      conditions: [
        cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        ready
          ? cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status')
          : cond('Ready', 'Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.'),
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        architecture: arch,
        bootID: randomUUID(),
        containerRuntimeVersion: o.containerRuntimeVersion ?? 'containerd://1.7.27',
        kernelVersion: o.kernelVersion ?? (os === 'windows' ? '10.0.20348.3807' : '6.8.0-1029-aws'),
        kubeProxyVersion: kubeletVersion,
        kubeletVersion,
        machineID: randomUUID().replace(/-/g, ''),
        operatingSystem: os,
        osImage: o.osImage ?? (os === 'windows' ? 'Windows Server 2022 Datacenter' : 'Ubuntu 24.04.2 LTS'),
        systemUUID: randomUUID(),
      },
    },
  };
}

export interface ContainerOptions {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  ports?: Array<{ name?: string; containerPort: number; protocol?: string; hostPort?: number }>;
  env?: Array<{ name: string; value?: string; valueFrom?: unknown }>;
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
  resources?: unknown;
  securityContext?: unknown;
}

function container(c: ContainerOptions): Record<string, unknown> {
  return {
    name: c.name,
    image: c.image,
    imagePullPolicy: 'IfNotPresent',
    ...(c.command ? { command: c.command } : {}),
    ...(c.args ? { args: c.args } : {}),
    ...(c.ports ? { ports: c.ports.map((p) => ({ protocol: 'TCP', ...p })) } : {}),
    ...(c.env ? { env: c.env } : {}),
    ...(c.volumeMounts ? { volumeMounts: c.volumeMounts } : {}),
    resources: c.resources ?? {},
    ...(c.securityContext ? { securityContext: c.securityContext } : {}),
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
  };
}

export interface PodTemplateOptions {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  containers: ContainerOptions[];
  initContainers?: ContainerOptions[];
  nodeSelector?: Record<string, string>;
  affinity?: unknown;
  tolerations?: unknown[];
  hostNetwork?: boolean;
  priorityClassName?: string;
  serviceAccountName?: string;
  volumes?: unknown[];
}

function podSpec(t: PodTemplateOptions): Record<string, unknown> {
  return {
    ...(t.affinity ? { affinity: t.affinity } : {}),
    containers: t.containers.map(container),
    ...(t.initContainers ? { initContainers: t.initContainers.map(container) } : {}),
    dnsPolicy: t.hostNetwork ? 'ClusterFirstWithHostNet' : 'ClusterFirst',
    enableServiceLinks: true,
    ...(t.hostNetwork ? { hostNetwork: true } : {}),
    ...(t.nodeSelector ? { nodeSelector: t.nodeSelector } : {}),
    ...(t.priorityClassName ? { priorityClassName: t.priorityClassName } : {}),
    restartPolicy: 'Always',
    schedulerName: 'default-scheduler',
    securityContext: {},
    ...(t.serviceAccountName ? { serviceAccount: t.serviceAccountName, serviceAccountName: t.serviceAccountName } : {}),
    terminationGracePeriodSeconds: 30,
    ...(t.tolerations ? { tolerations: t.tolerations } : {}),
    ...(t.volumes ? { volumes: t.volumes } : {}),
  };
}

export function podTemplate(t: PodTemplateOptions): Record<string, unknown> {
  return { metadata: { labels: t.labels, ...(t.annotations ? { annotations: t.annotations } : {}) }, spec: podSpec(t) };
}

/** Affinity requiring kubernetes.io/os In [values] (how many real manifests pin to Linux). */
export function osAffinity(values: string[] = ['linux'], extra: Array<{ key: string; operator: string; values?: string[] }> = []): unknown {
  return {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/os', operator: 'In', values }, ...extra] }],
      },
    },
  };
}

export function makeDaemonSet(o: {
  namespace: string;
  name: string;
  labels?: Record<string, string>;
  template: PodTemplateOptions;
  /** Number of nodes it runs on (status), default 1. */
  scheduled?: number;
  ready?: number;
  annotations?: Record<string, string>;
  updateStrategy?: unknown;
}): KubeObject {
  const n = o.scheduled ?? 1;
  const ready = o.ready ?? n;
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: {
      name: o.name,
      namespace: o.namespace,
      labels: o.labels ?? o.template.labels,
      annotations: { 'deprecated.daemonset.template.generation': '1', ...o.annotations },
      generation: 1,
      creationTimestamp: ago(30),
    },
    spec: {
      revisionHistoryLimit: 10,
      selector: { matchLabels: o.template.labels },
      template: podTemplate(o.template),
      updateStrategy: o.updateStrategy ?? { rollingUpdate: { maxSurge: 0, maxUnavailable: 1 }, type: 'RollingUpdate' },
    },
    status: {
      currentNumberScheduled: n,
      desiredNumberScheduled: n,
      numberAvailable: ready,
      numberMisscheduled: 0,
      numberReady: ready,
      ...(ready < n ? { numberUnavailable: n - ready } : {}),
      observedGeneration: 1,
      updatedNumberScheduled: n,
    },
  };
}

export function makeDeployment(o: {
  namespace: string;
  name: string;
  labels?: Record<string, string>;
  replicas?: number;
  readyReplicas?: number;
  template: PodTemplateOptions;
}): KubeObject {
  const replicas = o.replicas ?? 1;
  const ready = o.readyReplicas ?? replicas;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: o.name,
      namespace: o.namespace,
      labels: o.labels ?? o.template.labels,
      annotations: { 'deployment.kubernetes.io/revision': '1' },
      generation: 1,
      creationTimestamp: ago(30),
    },
    spec: {
      progressDeadlineSeconds: 600,
      replicas,
      revisionHistoryLimit: 10,
      selector: { matchLabels: o.template.labels },
      strategy: { rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 }, type: 'RollingUpdate' },
      template: podTemplate(o.template),
    },
    status: {
      availableReplicas: ready,
      conditions: [
        { type: 'Available', status: ready > 0 ? 'True' : 'False', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.', lastTransitionTime: ago(30), lastUpdateTime: ago(30) },
        { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${o.name}" has successfully progressed.`, lastTransitionTime: ago(30), lastUpdateTime: ago(30) },
      ],
      observedGeneration: 1,
      readyReplicas: ready,
      replicas,
      updatedReplicas: replicas,
    },
  };
}

/** A running pod on `nodeName`, optionally owned by a controller. */
export function makePod(o: {
  namespace: string;
  name: string;
  nodeName: string;
  hostIP: string;
  podIP?: string;
  template: PodTemplateOptions;
  owner?: { apiVersion: string; kind: string; name: string; uid: string };
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  ready?: boolean;
  annotations?: Record<string, string>;
  restarts?: number;
}): KubeObject {
  const phase = o.phase ?? 'Running';
  const ready = o.ready ?? phase === 'Running';
  const podIP = o.template.hostNetwork ? o.hostIP : (o.podIP ?? '10.244.0.99');
  const started = ago(30);
  const spec = podSpec(o.template);
  spec['nodeName'] = o.nodeName;
  spec['preemptionPolicy'] = 'PreemptLowerPriority';
  spec['priority'] = o.template.priorityClassName === 'system-node-critical' ? 2000001000 : o.template.priorityClassName === 'system-cluster-critical' ? 2000000000 : 0;
  const cond = (type: string, status: boolean) => ({ type, status: status ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: started });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: o.name,
      namespace: o.namespace,
      labels: o.template.labels,
      ...(o.annotations || o.template.annotations ? { annotations: { ...o.template.annotations, ...o.annotations } } : {}),
      ...(o.owner ? { ownerReferences: [{ ...o.owner, controller: true, blockOwnerDeletion: true }] } : {}),
      creationTimestamp: started,
    },
    spec,
    status: {
      conditions: [
        cond('PodReadyToStartContainers', phase === 'Running'),
        cond('Initialized', true),
        cond('Ready', ready),
        cond('ContainersReady', ready),
        cond('PodScheduled', true),
      ],
      containerStatuses: o.template.containers.map((c) => ({
        name: c.name,
        image: c.image,
        imageID: `${c.image.split(':')[0] ?? c.image}@sha256:${'0'.repeat(64)}`,
        containerID: `containerd://${randomUUID().replace(/-/g, '')}${randomUUID().replace(/-/g, '')}`,
        ready,
        restartCount: o.restarts ?? 0,
        started: phase === 'Running',
        state: phase === 'Running' ? { running: { startedAt: started } } : phase === 'Pending' ? { waiting: { reason: 'ContainerCreating' } } : { terminated: { exitCode: phase === 'Succeeded' ? 0 : 1, reason: phase === 'Succeeded' ? 'Completed' : 'Error', startedAt: started, finishedAt: started } },
      })),
      hostIP: o.hostIP,
      hostIPs: [{ ip: o.hostIP }],
      phase,
      podIP,
      podIPs: [{ ip: podIP }],
      qosClass: 'Burstable',
      startTime: started,
    },
  };
}

export function makeService(o: {
  namespace: string;
  name: string;
  clusterIP: string;
  ports: Array<{ name?: string; port: number; targetPort?: number | string; protocol?: string }>;
  selector?: Record<string, string>;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: o.name, namespace: o.namespace, ...(o.labels ? { labels: o.labels } : {}), ...(o.annotations ? { annotations: o.annotations } : {}), creationTimestamp: ago(30) },
    spec: {
      clusterIP: o.clusterIP,
      clusterIPs: [o.clusterIP],
      internalTrafficPolicy: 'Cluster',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      ports: o.ports.map((p) => ({ protocol: 'TCP', targetPort: p.port, ...p })),
      ...(o.selector ? { selector: o.selector } : {}),
      sessionAffinity: 'None',
      type: 'ClusterIP',
    },
    status: { loadBalancer: {} },
  };
}

export function makeEndpoints(o: {
  namespace: string;
  name: string;
  addresses: Array<{ ip: string; nodeName?: string; targetRef?: { kind: string; name: string; namespace: string; uid?: string } }>;
  ports: Array<{ name?: string; port: number; protocol?: string }>;
  labels?: Record<string, string>;
}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: o.name, namespace: o.namespace, ...(o.labels ? { labels: o.labels } : {}), creationTimestamp: ago(30) },
    subsets: [{ addresses: o.addresses, ports: o.ports.map((p) => ({ protocol: 'TCP', ...p })) }],
  };
}

export function makeEndpointSlice(o: {
  namespace: string;
  service: string;
  name?: string;
  addresses: Array<{ ip: string; nodeName?: string; targetRef?: { kind: string; name: string; namespace: string; uid?: string } }>;
  ports: Array<{ name?: string; port: number; protocol?: string }>;
  managedBy?: string;
  labels?: Record<string, string>;
}): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: o.name ?? `${o.service}-${suffix(o.service)}`,
      namespace: o.namespace,
      generateName: `${o.service}-`,
      labels: {
        'endpointslice.kubernetes.io/managed-by': o.managedBy ?? 'endpointslice-controller.k8s.io',
        'kubernetes.io/service-name': o.service,
        ...o.labels,
      },
      creationTimestamp: ago(30),
    },
    addressType: 'IPv4',
    endpoints: o.addresses.map((a) => ({
      addresses: [a.ip],
      conditions: { ready: true, serving: true, terminating: false },
      ...(a.nodeName ? { nodeName: a.nodeName } : {}),
      ...(a.targetRef ? { targetRef: a.targetRef } : {}),
    })),
    ports: o.ports.map((p) => ({ protocol: 'TCP', ...p })),
  };
}

export function makeClusterRole(name: string, rules: unknown[], labels?: Record<string, string>): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name, ...(labels ? { labels } : {}), creationTimestamp: ago(30) },
    rules,
  };
}

export type RbacSubject = { kind: 'User' | 'Group'; name: string } | { kind: 'ServiceAccount'; name: string; namespace: string };

function subjects(list: RbacSubject[]): unknown[] {
  return list.map((s) => (s.kind === 'ServiceAccount' ? s : { apiGroup: 'rbac.authorization.k8s.io', ...s }));
}

export function makeClusterRoleBinding(name: string, clusterRole: string, subjectList: RbacSubject[]): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name, creationTimestamp: ago(30) },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole },
    subjects: subjects(subjectList),
  };
}

export function makeRole(namespace: string, name: string, rules: unknown[]): KubeObject {
  return { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name, namespace, creationTimestamp: ago(30) }, rules };
}

export function makeRoleBinding(namespace: string, name: string, roleRef: { kind: 'Role' | 'ClusterRole'; name: string }, subjectList: RbacSubject[]): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name, namespace, creationTimestamp: ago(30) },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', ...roleRef },
    subjects: subjects(subjectList),
  };
}

export function makeLease(nodeName: string): KubeObject {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: nodeName, namespace: 'kube-node-lease', creationTimestamp: ago(30) },
    spec: { holderIdentity: nodeName, leaseDurationSeconds: 40, renewTime: new Date().toISOString().replace('Z', '000Z') },
  };
}

/** The kubeconfig text kubeadm puts into kube-public/cluster-info (no users, no contexts). */
export function clusterInfoKubeconfig(server: string, caData: string): string {
  return [
    'apiVersion: v1',
    'clusters:',
    '- cluster:',
    `    certificate-authority-data: ${caData}`,
    `    server: ${server}`,
    '  name: ""',
    'contexts: null',
    'current-context: ""',
    'kind: Config',
    'preferences: {}',
    'users: null',
    '',
  ].join('\n');
}

/**
 * The detached JWS (HS256, kid = token id, key = token secret) that the bootstrap signer puts
 * into cluster-info as `jws-kubeconfig-<id>`; `kubeadm join --discovery-token` verifies it.
 */
export function signClusterInfo(kubeconfig: string, tokenId: string, tokenSecret: string): string {
  const b64u = (b: Buffer | string): string => Buffer.from(b).toString('base64url');
  const header = b64u(JSON.stringify({ alg: 'HS256', kid: tokenId }));
  const sig = createHmac('sha256', tokenSecret).update(`${header}.${b64u(kubeconfig)}`).digest();
  return `${header}..${b64u(sig)}`;
}
