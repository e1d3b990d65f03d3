/**
 * Seeded cluster states for the fake kube-apiserver. Each fixture returns server options (version,
 * tokens, a `seed` run at start() once the URL is known); spread it to override:
 *
 *   const fake = new FakeKubeApiServer({ ...healthyKubeadmFlannel(), latencyMs: 20 });
 *   await fake.start();
 *   const kubeconfig = writeKubeconfigFor(fake, { token: ADMIN_TOKEN });
 */
import {
  ago,
  clusterInfoKubeconfig,
  makeClusterRole,
  makeClusterRoleBinding,
  makeConfigMap,
  makeDaemonSet,
  makeDeployment,
  makeEndpoints,
  makeEndpointSlice,
  makeLease,
  makeNamespace,
  makeNode,
  makePod,
  makeRole,
  makeRoleBinding,
  makeService,
  osAffinity,
  signClusterInfo,
  suffix,
} from './builders.js';
import type { PodTemplateOptions } from './builders.js';
import { writeKubeconfig } from './kubeconfig.js';
import type { FakeKubeApiServer, FakeKubeApiServerOptions, SeedContext } from './server.js';
import { bootstrapTokenSecret } from './server.js';
import type { ObjectStore } from './store.js';
import type { KubeObject } from './types.js';
import { rfc3339 } from './util.js';

/** Admin bearer token of every fixture (user kubernetes-admin, group kubeadm:cluster-admins -> cluster-admin via RBAC). */
export const ADMIN_TOKEN = 'fake-admin-token-0123456789';
/** A bearer token for a user in system:masters (allowed everything without RBAC). */
export const SUPER_ADMIN_TOKEN = 'fake-super-admin-token-0123456789';
/** The kubeadm bootstrap token every kubeadm fixture creates (valid for 24h from seeding). */
export const BOOTSTRAP_TOKEN = 'abcdef.0123456789abcdef';
export const BOOTSTRAP_TOKEN_ID = 'abcdef';
/** rbacDenied(): user "jane" (group "developers"), may only get/list/watch a few things. */
export const LIMITED_TOKEN = 'fake-limited-token-0123456789';
export const LIMITED_USER = 'jane';

export interface FakeClusterFixture extends FakeKubeApiServerOptions {
  name: string;
  gitVersion: string;
  seed: (ctx: SeedContext) => void | Promise<void>;
}

function adminTokens(): FakeKubeApiServerOptions['tokens'] {
  return {
    [ADMIN_TOKEN]: { user: 'kubernetes-admin', groups: ['kubeadm:cluster-admins'] },
    [SUPER_ADMIN_TOKEN]: { user: 'kubernetes-super-admin', groups: ['system:masters'] },
  };
}

function putAll(store: ObjectStore, objs: KubeObject[]): void {
  for (const o of objs) store.put(o);
}

function withOwner(store: ObjectStore, ownerRef: string, ns: string, name: string): { apiVersion: string; kind: string; name: string; uid: string } {
  const o = store.get(ownerRef, ns, name);
  if (!o?.metadata?.uid) throw new Error(`fixture: owner ${ownerRef} ${ns}/${name} missing`);
  return { apiVersion: o.apiVersion ?? '', kind: o.kind ?? '', name, uid: o.metadata.uid };
}

interface NodeInfo {
  name: string;
  ip: string;
  podCIDR: string;
  controlPlane?: boolean;
}

/** Pods of a DaemonSet, one per node, owned by it (via a stored DaemonSet). */
function daemonPods(store: ObjectStore, ds: KubeObject, nodes: NodeInfo[], template: PodTemplateOptions, podIp: (n: NodeInfo, i: number) => string | undefined): void {
  const ns = ds.metadata?.namespace ?? '';
  const name = ds.metadata?.name ?? '';
  const owner = withOwner(store, 'daemonsets.apps', ns, name);
  nodes.forEach((n, i) => {
    const podIP = podIp(n, i);
    store.put(
      makePod({
        namespace: ns,
        name: `${name}-${suffix(`${name}${n.name}`)}`,
        nodeName: n.name,
        hostIP: n.ip,
        ...(podIP ? { podIP } : {}),
        template: { ...template, labels: { ...template.labels, 'controller-revision-hash': '6d8c5f7b9c', 'pod-template-generation': '1' } },
        owner,
      }),
    );
  });
}

function cidrHost(podCIDR: string, host: number): string {
  const base = podCIDR.split('/')[0] ?? '10.244.0.0';
  const parts = base.split('.');
  parts[3] = String(host);
  return parts.join('.');
}

function subnetFor(podSubnet: string, index: number): string {
  const [base] = podSubnet.split('/');
  const p = (base ?? '10.244.0.0').split('.').map(Number);
  p[2] = (p[2] ?? 0) + index;
  return `${p.join('.')}/24`;
}

// ---------------------------------------------------------------------------------------------
// kubeadm

export type KubeadmCni = 'flannel' | 'flannel-linux-defaults' | 'calico' | 'calico-windows' | 'none';

export interface KubeadmFixtureOptions {
  /** Kubernetes version (default v1.33.2). */
  version?: string;
  cni?: KubeadmCni;
  /** Pod subnet (default 10.244.0.0/16; 192.168.0.0/16 for calico). */
  podSubnet?: string;
  serviceSubnet?: string;
  /** Linux workers besides cp-1 (default 1). */
  workers?: number;
  /** Add monitoring/node-exporter, a DaemonSet with no OS selector (default true). */
  linuxOnlyDaemonSet?: boolean;
  /** Create the kubeadm bootstrap token (default true); its RFC 3339 expiration (default +24h). */
  bootstrapToken?: boolean;
  bootstrapTokenExpiration?: string;
  /** controlPlaneEndpoint in ClusterConfiguration (default: the fake's host:port). */
  controlPlaneEndpoint?: string;
  /**
   * The server URL kube-public/cluster-info holds (default: the fake's own 127.0.0.1 URL). A real
   * cluster publishes the address nodes reach, which a test on loopback cannot serve.
   */
  clusterInfoServer?: string;
  /** Flannel DaemonSet pins Linux with nodeSelector (default, as the brief asked) or with node affinity (as upstream kube-flannel.yml does). */
  flannelOsSelector?: 'nodeSelector' | 'affinity';
  /** More seeding after the fixture's own. */
  extraSeed?: (ctx: SeedContext) => void | Promise<void>;
}

function clusterConfiguration(version: string, endpoint: string, podSubnet: string, serviceSubnet: string): string {
  const minor = Number(version.split('.')[1] ?? '33');
  const v1beta4 = minor >= 31;
  const lines = [
    `apiServer: {}`,
    `apiVersion: kubeadm.k8s.io/${v1beta4 ? 'v1beta4' : 'v1beta3'}`,
    ...(v1beta4 ? ['caCertificateValidityPeriod: 87600h0m0s', 'certificateValidityPeriod: 8760h0m0s'] : []),
    'certificatesDir: /etc/kubernetes/pki',
    'clusterName: kubernetes',
    `controlPlaneEndpoint: ${endpoint}`,
    'controllerManager: {}',
    'dns: {}',
    ...(v1beta4 ? ['encryptionAlgorithm: RSA-2048'] : []),
    'etcd:',
    '  local:',
    '    dataDir: /var/lib/etcd',
    'imageRepository: registry.k8s.io',
    'kind: ClusterConfiguration',
    `kubernetesVersion: ${version}`,
    'networking:',
    '  dnsDomain: cluster.local',
    `  podSubnet: ${podSubnet}`,
    `  serviceSubnet: ${serviceSubnet}`,
    ...(v1beta4 ? ['proxy: {}'] : []),
    'scheduler: {}',
    '',
  ];
  return lines.join('\n');
}

function kubeProxyConfig(podSubnet: string): string {
  return [
    'apiVersion: kubeproxy.config.k8s.io/v1alpha1',
    'bindAddress: 0.0.0.0',
    'bindAddressHardFail: false',
    'clientConnection:',
    '  acceptContentTypes: ""',
    '  burst: 0',
    '  contentType: ""',
    '  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf',
    '  qps: 0',
    `clusterCIDR: ${podSubnet}`,
    'configSyncPeriod: 0s',
    'conntrack:',
    '  maxPerCore: null',
    '  min: null',
    '  tcpCloseWaitTimeout: null',
    '  tcpEstablishedTimeout: null',
    'detectLocalMode: ""',
    'enableProfiling: false',
    'healthzBindAddress: ""',
    'hostnameOverride: ""',
    'iptables:',
    '  localhostNodePorts: null',
    '  masqueradeAll: false',
    '  masqueradeBit: null',
    '  minSyncPeriod: 0s',
    '  syncPeriod: 0s',
    'ipvs:',
    '  excludeCIDRs: null',
    '  minSyncPeriod: 0s',
    '  scheduler: ""',
    '  strictARP: false',
    '  syncPeriod: 0s',
    '  tcpFinTimeout: 0s',
    '  tcpTimeout: 0s',
    '  udpTimeout: 0s',
    'kind: KubeProxyConfiguration',
    'metricsBindAddress: ""',
    'mode: ""',
    'nodePortAddresses: null',
    'oomScoreAdj: null',
    'portRange: ""',
    'showHiddenMetricsForVersion: ""',
    'winkernel:',
    '  enableDSR: false',
    '  forwardHealthCheckVip: false',
    '  networkName: ""',
    '  rootHnsEndpointName: ""',
    '  sourceVip: ""',
    '',
  ].join('\n');
}

function kubeProxyKubeconfig(server: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- cluster:',
    '    certificate-authority: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt',
    `    server: ${server}`,
    '  name: default',
    'contexts:',
    '- context:',
    '    cluster: default',
    '    namespace: default',
    '    user: default',
    '  name: default',
    'current-context: default',
    'users:',
    '- name: default',
    '  user:',
    '    tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token',
    '',
  ].join('\n');
}

function kubeletConfig(clusterDNS: string): string {
  return [
    'apiVersion: kubelet.config.k8s.io/v1beta1',
    'authentication:',
    '  anonymous:',
    '    enabled: false',
    '  webhook:',
    '    cacheTTL: 0s',
    '    enabled: true',
    '  x509:',
    '    clientCAFile: /etc/kubernetes/pki/ca.crt',
    'authorization:',
    '  mode: Webhook',
    '  webhook:',
    '    cacheAuthorizedTTL: 0s',
    '    cacheUnauthorizedTTL: 0s',
    'cgroupDriver: systemd',
    'clusterDNS:',
    `- ${clusterDNS}`,
    'clusterDomain: cluster.local',
    'containerRuntimeEndpoint: ""',
    'cpuManagerReconcilePeriod: 0s',
    'crashLoopBackOff: {}',
    'evictionPressureTransitionPeriod: 0s',
    'fileCheckFrequency: 0s',
    'healthzBindAddress: 127.0.0.1',
    'healthzPort: 10248',
    'httpCheckFrequency: 0s',
    'imageMaximumGCAge: 0s',
    'imageMinimumGCAge: 0s',
    'kind: KubeletConfiguration',
    'logging:',
    '  flushFrequency: 0',
    '  options:',
    '    json:',
    '      infoBufferSize: "0"',
    '    text:',
    '      infoBufferSize: "0"',
    '  verbosity: 0',
    'memorySwap: {}',
    'nodeStatusReportFrequency: 0s',
    'nodeStatusUpdateFrequency: 0s',
    'rotateCertificates: true',
    'runtimeRequestTimeout: 0s',
    'shutdownGracePeriod: 0s',
    'shutdownGracePeriodCriticalPods: 0s',
    'staticPodPath: /etc/kubernetes/manifests',
    'streamingConnectionIdleTimeout: 0s',
    'syncFrequency: 0s',
    'volumeStatsAggPeriod: 0s',
    '',
  ].join('\n');
}

function serviceIp(serviceSubnet: string, host: number): string {
  const p = (serviceSubnet.split('/')[0] ?? '10.96.0.0').split('.');
  p[3] = String(host);
  return p.join('.');
}

/** RBAC objects kubeadm creates (bootstrap tokens, CSR auto-approval, cluster-admins, node config). */
function kubeadmRbac(): KubeObject[] {
  const bootGroup = { kind: 'Group' as const, name: 'system:bootstrappers:kubeadm:default-node-token' };
  return [
    makeClusterRole('cluster-admin', [
      { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
      { nonResourceURLs: ['*'], verbs: ['*'] },
    ], { 'kubernetes.io/bootstrapping': 'rbac-defaults' }),
    makeClusterRole('system:node-bootstrapper', [{ apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests'], verbs: ['create', 'get', 'list', 'watch'] }], { 'kubernetes.io/bootstrapping': 'rbac-defaults' }),
    makeClusterRole('system:certificates.k8s.io:certificatesigningrequests:nodeclient', [{ apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests/nodeclient'], verbs: ['create'] }], { 'kubernetes.io/bootstrapping': 'rbac-defaults' }),
    makeClusterRole('system:certificates.k8s.io:certificatesigningrequests:selfnodeclient', [{ apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests/selfnodeclient'], verbs: ['create'] }], { 'kubernetes.io/bootstrapping': 'rbac-defaults' }),
    makeClusterRole('kubeadm:get-nodes', [{ apiGroups: [''], resources: ['nodes'], verbs: ['get'] }]),
    makeClusterRole('system:node-proxier', [
      { apiGroups: [''], resources: ['endpoints', 'services'], verbs: ['list', 'watch'] },
      { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch', 'update'] },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
    ], { 'kubernetes.io/bootstrapping': 'rbac-defaults' }),
    makeClusterRoleBinding('kubeadm:cluster-admins', 'cluster-admin', [{ kind: 'Group', name: 'kubeadm:cluster-admins' }]),
    makeClusterRoleBinding('kubeadm:kubelet-bootstrap', 'system:node-bootstrapper', [bootGroup]),
    makeClusterRoleBinding('kubeadm:node-autoapprove-bootstrap', 'system:certificates.k8s.io:certificatesigningrequests:nodeclient', [bootGroup]),
    makeClusterRoleBinding('kubeadm:node-autoapprove-certificate-rotation', 'system:certificates.k8s.io:certificatesigningrequests:selfnodeclient', [{ kind: 'Group', name: 'system:nodes' }]),
    makeClusterRoleBinding('kubeadm:get-nodes', 'kubeadm:get-nodes', [bootGroup]),
    makeClusterRoleBinding('kubeadm:node-proxier', 'system:node-proxier', [{ kind: 'ServiceAccount', name: 'kube-proxy', namespace: 'kube-system' }]),
    makeRole('kube-system', 'kubeadm:nodes-kubeadm-config', [{ apiGroups: [''], resources: ['configmaps'], resourceNames: ['kubeadm-config'], verbs: ['get'] }]),
    makeRoleBinding('kube-system', 'kubeadm:nodes-kubeadm-config', { kind: 'Role', name: 'kubeadm:nodes-kubeadm-config' }, [bootGroup, { kind: 'Group', name: 'system:nodes' }]),
    makeRole('kube-system', 'kubeadm:kubelet-config', [{ apiGroups: [''], resources: ['configmaps'], resourceNames: ['kubelet-config'], verbs: ['get'] }]),
    makeRoleBinding('kube-system', 'kubeadm:kubelet-config', { kind: 'Role', name: 'kubeadm:kubelet-config' }, [{ kind: 'Group', name: 'system:nodes' }, bootGroup]),
    makeRole('kube-system', 'kube-proxy', [{ apiGroups: [''], resources: ['configmaps'], resourceNames: ['kube-proxy'], verbs: ['get'] }]),
    makeRoleBinding('kube-system', 'kube-proxy', { kind: 'Role', name: 'kube-proxy' }, [bootGroup]),
    makeRole('kube-public', 'kubeadm:bootstrap-signer-clusterinfo', [{ apiGroups: [''], resources: ['configmaps'], resourceNames: ['cluster-info'], verbs: ['get'] }]),
    makeRoleBinding('kube-public', 'kubeadm:bootstrap-signer-clusterinfo', { kind: 'Role', name: 'kubeadm:bootstrap-signer-clusterinfo' }, [{ kind: 'User', name: 'system:anonymous' }]),
  ];
}

function staticPod(store: ObjectStore, node: NodeInfo, component: string, image: string, command: string[], annotations: Record<string, string> = {}): void {
  const nodeObj = store.get('nodes', undefined, node.name);
  store.put(
    makePod({
      namespace: 'kube-system',
      name: `${component}-${node.name}`,
      nodeName: node.name,
      hostIP: node.ip,
      template: {
        labels: { component, tier: 'control-plane' },
        annotations: {
          'kubernetes.io/config.hash': suffix(component, 32).toLowerCase(),
          'kubernetes.io/config.mirror': suffix(`${component}m`, 32).toLowerCase(),
          'kubernetes.io/config.seen': ago(30),
          'kubernetes.io/config.source': 'file',
          ...annotations,
        },
        containers: [{ name: component, image, command }],
        hostNetwork: true,
        priorityClassName: 'system-node-critical',
        tolerations: [{ effect: 'NoExecute', operator: 'Exists' }],
      },
      owner: { apiVersion: 'v1', kind: 'Node', name: node.name, uid: nodeObj?.metadata?.uid ?? '' },
    }),
  );
}

function flannelObjects(store: ObjectStore, nodes: NodeInfo[], podSubnet: string, linuxDefaults: boolean, osSelector: 'nodeSelector' | 'affinity'): void {
  store.put(makeNamespace('kube-flannel', { 'k8s-app': 'flannel', 'pod-security.kubernetes.io/enforce': 'privileged' }));
  const netConf = linuxDefaults
    ? { Network: podSubnet, EnableNFTables: false, Backend: { Type: 'vxlan' } }
    : { Network: podSubnet, Backend: { Type: 'vxlan', VNI: 4096, Port: 4789 } };
  store.put(
    makeConfigMap('kube-flannel', 'kube-flannel-cfg', {
      'cni-conf.json': JSON.stringify(
        { name: 'cbr0', cniVersion: '0.3.1', plugins: [{ type: 'flannel', delegate: { hairpinMode: true, isDefaultGateway: true } }, { type: 'portmap', capabilities: { portMappings: true } }] },
        null,
        2,
      ),
      'net-conf.json': JSON.stringify(netConf, null, 2),
    }, { labels: { app: 'flannel', 'k8s-app': 'flannel', tier: 'node' } }),
  );
  store.put({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'flannel', namespace: 'kube-flannel', labels: { 'k8s-app': 'flannel' }, creationTimestamp: ago(30) } });
  const template: PodTemplateOptions = {
    labels: { app: 'flannel', 'k8s-app': 'flannel', tier: 'node' },
    containers: [
      {
        name: 'kube-flannel',
        image: 'ghcr.io/flannel-io/flannel:v0.27.0',
        command: ['/opt/bin/flanneld'],
        args: ['--ip-masq', '--kube-subnet-mgr'],
        env: [
          { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
          { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } } },
          { name: 'EVENT_QUEUE_DEPTH', value: '5000' },
        ],
        volumeMounts: [
          { name: 'run', mountPath: '/run/flannel' },
          { name: 'flannel-cfg', mountPath: '/etc/kube-flannel/' },
          { name: 'xtables-lock', mountPath: '/run/xtables.lock' },
        ],
        securityContext: { capabilities: { add: ['NET_ADMIN', 'NET_RAW'] }, privileged: false },
      },
    ],
    initContainers: [
      { name: 'install-cni-plugin', image: 'ghcr.io/flannel-io/flannel-cni-plugin:v1.7.1-flannel1', command: ['cp'], args: ['-f', '/flannel', '/opt/cni/bin/flannel'] },
      { name: 'install-cni', image: 'ghcr.io/flannel-io/flannel:v0.27.0', command: ['cp'], args: ['-f', '/etc/kube-flannel/cni-conf.json', '/etc/cni/net.d/10-flannel.conflist'] },
    ],
    ...(osSelector === 'affinity' ? { affinity: osAffinity(['linux']) } : { nodeSelector: { 'kubernetes.io/os': 'linux' } }),
    hostNetwork: true,
    priorityClassName: 'system-node-critical',
    serviceAccountName: 'flannel',
    tolerations: [{ effect: 'NoSchedule', operator: 'Exists' }],
    volumes: [
      { name: 'run', hostPath: { path: '/run/flannel', type: '' } },
      { name: 'cni-plugin', hostPath: { path: '/opt/cni/bin', type: '' } },
      { name: 'cni', hostPath: { path: '/etc/cni/net.d', type: '' } },
      { name: 'flannel-cfg', configMap: { name: 'kube-flannel-cfg', defaultMode: 420 } },
      { name: 'xtables-lock', hostPath: { path: '/run/xtables.lock', type: 'FileOrCreate' } },
    ],
  };
  const ds = makeDaemonSet({ namespace: 'kube-flannel', name: 'kube-flannel-ds', labels: { app: 'flannel', 'k8s-app': 'flannel', tier: 'node' }, template, scheduled: nodes.length });
  store.put(ds);
  daemonPods(store, ds, nodes, template, () => undefined);
}

function calicoObjects(store: ObjectStore, nodes: NodeInfo[], podSubnet: string, serviceSubnet: string, windows: boolean, hostPort: string): void {
  store.put(makeNamespace('tigera-operator', { name: 'tigera-operator', 'pod-security.kubernetes.io/enforce': 'privileged' }));
  store.put(makeNamespace('calico-system', { name: 'calico-system', 'pod-security.kubernetes.io/enforce': 'privileged' }));
  store.put(
    makeDeployment({
      namespace: 'tigera-operator',
      name: 'tigera-operator',
      labels: { 'k8s-app': 'tigera-operator' },
      template: {
        labels: { name: 'tigera-operator', 'k8s-app': 'tigera-operator' },
        containers: [{ name: 'tigera-operator', image: 'quay.io/tigera/operator:v1.38.3', command: ['operator'] }],
        nodeSelector: { 'kubernetes.io/os': 'linux' },
        hostNetwork: true,
        serviceAccountName: 'tigera-operator',
      },
    }),
  );
  if (windows) {
    const [host, port] = hostPort.split(':');
    store.put(makeConfigMap('tigera-operator', 'kubernetes-services-endpoint', { KUBERNETES_SERVICE_HOST: host ?? '', KUBERNETES_SERVICE_PORT: port ?? '6443' }));
  }
  for (const name of ['installations.operator.tigera.io', 'ipamconfigs.crd.projectcalico.org', 'ippools.crd.projectcalico.org']) {
    const [plural, ...g] = name.split('.');
    const group = g.join('.');
    const kind = plural === 'installations' ? 'Installation' : plural === 'ipamconfigs' ? 'IPAMConfig' : 'IPPool';
    store.put({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name, creationTimestamp: ago(30) },
      spec: {
        group,
        names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase() },
        scope: 'Cluster',
        versions: [{ name: 'v1', served: true, storage: true, ...(plural === 'installations' ? { subresources: { status: {} } } : {}), schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
      },
      status: { acceptedNames: { kind, plural }, storedVersions: ['v1'], conditions: [{ type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' }] },
    });
  }
  store.put({
    apiVersion: 'operator.tigera.io/v1',
    kind: 'Installation',
    metadata: { name: 'default', generation: 1, creationTimestamp: ago(30) },
    spec: {
      calicoNetwork: {
        bgp: 'Disabled',
        hostPorts: 'Enabled',
        ipPools: [
          {
            allowedUses: ['Workload', 'Tunnel'],
            blockSize: 26,
            cidr: podSubnet,
            disableBGPExport: false,
            encapsulation: 'VXLAN',
            name: 'default-ipv4-ippool',
            natOutgoing: 'Enabled',
            nodeSelector: 'all()',
          },
        ],
        linuxDataplane: 'Iptables',
        linuxPolicySetupTimeoutSeconds: 0,
        multiInterfaceMode: 'None',
        nodeAddressAutodetectionV4: { firstFound: true },
        windowsDataplane: windows ? 'HNS' : 'Disabled',
      },
      cni: { ipam: { type: 'Calico' }, type: 'Calico' },
      controlPlaneReplicas: 2,
      flexVolumePath: '/usr/libexec/kubernetes/kubelet-plugins/volume/exec/',
      kubeletVolumePluginPath: '/var/lib/kubelet',
      kubernetesProvider: '',
      logging: { cni: { logFileMaxAgeDays: 30, logFileMaxCount: 10, logFileMaxSize: '100Mi', logSeverity: 'Info' } },
      nodeUpdateStrategy: { rollingUpdate: { maxUnavailable: 1 }, type: 'RollingUpdate' },
      nonPrivileged: 'Disabled',
      ...(windows ? { serviceCIDRs: [serviceSubnet] } : {}),
      variant: 'Calico',
    },
    status: {
      calicoVersion: 'v3.30.2',
      conditions: [
        { type: 'Ready', status: 'True', reason: 'AllObjectsAvailable', message: 'All Objects Available', lastTransitionTime: ago(29), observedGeneration: 1 },
        { type: 'Degraded', status: 'False', reason: 'Unknown', message: '', lastTransitionTime: ago(29), observedGeneration: 1 },
        { type: 'Progressing', status: 'False', reason: 'Unknown', message: '', lastTransitionTime: ago(29), observedGeneration: 1 },
      ],
      mtu: 1450,
      variant: 'Calico',
    },
  });
  store.put({ apiVersion: 'crd.projectcalico.org/v1', kind: 'IPAMConfig', metadata: { name: 'default', creationTimestamp: ago(30) }, spec: { autoAllocateBlocks: true, maxBlocksPerHost: 0, strictAffinity: windows } });
  store.put({
    apiVersion: 'crd.projectcalico.org/v1',
    kind: 'IPPool',
    metadata: { name: 'default-ipv4-ippool', creationTimestamp: ago(30) },
    spec: { allowedUses: ['Workload', 'Tunnel'], blockSize: 26, cidr: podSubnet, ipipMode: 'Never', natOutgoing: true, nodeSelector: 'all()', vxlanMode: 'Always' },
  });
  const template: PodTemplateOptions = {
    labels: { 'app.kubernetes.io/name': 'calico-node', 'k8s-app': 'calico-node' },
    containers: [
      {
        name: 'calico-node',
        image: 'quay.io/calico/node:v3.30.2',
        env: [
          { name: 'DATASTORE_TYPE', value: 'kubernetes' },
          { name: 'CALICO_NETWORKING_BACKEND', value: 'vxlan' },
          { name: 'CALICO_IPV4POOL_CIDR', value: podSubnet },
          { name: 'CALICO_IPV4POOL_VXLAN', value: 'Always' },
          { name: 'FELIX_VXLANVNI', value: '4096' },
          { name: 'FELIX_VXLANPORT', value: '4789' },
        ],
        securityContext: { privileged: true },
      },
    ],
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    hostNetwork: true,
    priorityClassName: 'system-node-critical',
    serviceAccountName: 'calico-node',
    tolerations: [{ effect: 'NoSchedule', operator: 'Exists' }, { key: 'CriticalAddonsOnly', operator: 'Exists' }, { effect: 'NoExecute', operator: 'Exists' }],
  };
  const ds = makeDaemonSet({ namespace: 'calico-system', name: 'calico-node', labels: { 'k8s-app': 'calico-node' }, template, scheduled: nodes.length });
  store.put(ds);
  daemonPods(store, ds, nodes, template, () => undefined);
  store.put(
    makeDeployment({
      namespace: 'calico-system',
      name: 'calico-kube-controllers',
      labels: { 'k8s-app': 'calico-kube-controllers' },
      template: {
        labels: { 'app.kubernetes.io/name': 'calico-kube-controllers', 'k8s-app': 'calico-kube-controllers' },
        containers: [{ name: 'calico-kube-controllers', image: 'quay.io/calico/kube-controllers:v3.30.2' }],
        nodeSelector: { 'kubernetes.io/os': 'linux' },
        serviceAccountName: 'calico-kube-controllers',
      },
    }),
  );
  store.put(
    makeDeployment({
      namespace: 'calico-system',
      name: 'calico-typha',
      labels: { 'k8s-app': 'calico-typha' },
      template: {
        labels: { 'app.kubernetes.io/name': 'calico-typha', 'k8s-app': 'calico-typha' },
        containers: [{ name: 'calico-typha', image: 'quay.io/calico/typha:v3.30.2', ports: [{ name: 'calico-typha', containerPort: 5473 }] }],
        nodeSelector: { 'kubernetes.io/os': 'linux' },
        hostNetwork: true,
        serviceAccountName: 'calico-typha',
      },
    }),
  );
}

function nodeExporter(store: ObjectStore, nodes: NodeInfo[]): void {
  store.put(makeNamespace('monitoring'));
  const template: PodTemplateOptions = {
    labels: { 'app.kubernetes.io/name': 'node-exporter', 'app.kubernetes.io/part-of': 'kube-prometheus' },
    containers: [
      {
        name: 'node-exporter',
        image: 'quay.io/prometheus/node-exporter:v1.9.1',
        args: ['--web.listen-address=0.0.0.0:9100', '--path.sysfs=/host/sys', '--path.rootfs=/host/root'],
        ports: [{ name: 'metrics', containerPort: 9100, hostPort: 9100 }],
      },
    ],
    hostNetwork: true,
    serviceAccountName: 'node-exporter',
    tolerations: [{ operator: 'Exists' }],
  };
  const ds = makeDaemonSet({ namespace: 'monitoring', name: 'node-exporter', template, scheduled: nodes.length });
  store.put(ds);
  daemonPods(store, ds, nodes, template, () => undefined);
}

function kubeadmFixture(name: string, o: KubeadmFixtureOptions): FakeClusterFixture {
  const version = o.version ?? 'v1.33.2';
  const cni = o.cni ?? 'flannel';
  const isCalico = cni === 'calico' || cni === 'calico-windows';
  const podSubnet = o.podSubnet ?? (isCalico ? '192.168.0.0/16' : '10.244.0.0/16');
  const serviceSubnet = o.serviceSubnet ?? '10.96.0.0/12';
  const dnsIp = serviceIp(serviceSubnet, 10);
  const apiIp = serviceIp(serviceSubnet, 1);
  return {
    name,
    gitVersion: version,
    tokens: adminTokens(),
    serviceCidr: serviceSubnet,
    seed: async (ctx) => {
      const { store } = ctx;
      const nodes: NodeInfo[] = [{ name: 'cp-1', ip: '10.0.1.10', podCIDR: subnetFor(podSubnet, 0), controlPlane: true }];
      for (let i = 1; i <= (o.workers ?? 1); i++) nodes.push({ name: `worker-${i}`, ip: `10.0.1.${20 + i}`, podCIDR: subnetFor(podSubnet, i) });
      const endpoint = o.controlPlaneEndpoint ?? ctx.hostPort;

      for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) store.put(makeNamespace(ns));
      const caCm = (ns: string) => makeConfigMap(ns, 'kube-root-ca.crt', { 'ca.crt': ctx.caPem }, { annotations: { 'kubernetes.io/description': 'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.' } });
      for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) store.put(caCm(ns));
      putAll(store, kubeadmRbac());

      // Bootstrap token and cluster-info (signed with it, as the bootstrap signer does).
      const kubeconfig = clusterInfoKubeconfig(o.clusterInfoServer ?? ctx.url, ctx.caData);
      const clusterInfo: Record<string, string> = { kubeconfig };
      if (o.bootstrapToken ?? true) {
        const [id, secret] = BOOTSTRAP_TOKEN.split('.') as [string, string];
        store.put(
          bootstrapTokenSecret({
            id,
            secret,
            expiration: o.bootstrapTokenExpiration ?? rfc3339(new Date(Date.now() + 24 * 3600_000)),
            description: "The default bootstrap token generated by 'kubeadm init'.",
          }),
        );
        clusterInfo[`jws-kubeconfig-${id}`] = signClusterInfo(kubeconfig, id, secret);
      }
      store.put(makeConfigMap('kube-public', 'cluster-info', clusterInfo));

      store.put(makeConfigMap('kube-system', 'kubeadm-config', { ClusterConfiguration: clusterConfiguration(version, endpoint, podSubnet, serviceSubnet) }));
      store.put(makeConfigMap('kube-system', 'kubelet-config', { kubelet: kubeletConfig(dnsIp) }, { annotations: { 'kubeadm.kubernetes.io/component-config.hash': 'sha256:5f0a8a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c1d3e5f7a9b1c3d5e7f' } }));
      store.put(makeConfigMap('kube-system', 'kube-proxy', { 'config.conf': kubeProxyConfig(podSubnet), 'kubeconfig.conf': kubeProxyKubeconfig(`https://${endpoint}`) }, { labels: { app: 'kube-proxy' } }));
      store.put(makeConfigMap('kube-system', 'coredns', { Corefile: '.:53 {\n    errors\n    health {\n       lameduck 5s\n    }\n    ready\n    kubernetes cluster.local in-addr.arpa ip6.arpa {\n       pods insecure\n       fallthrough in-addr.arpa ip6.arpa\n       ttl 30\n    }\n    prometheus :9153\n    forward . /etc/resolv.conf {\n       max_concurrent 1000\n    }\n    cache 30 {\n       disable success cluster.local\n       disable denial cluster.local\n    }\n    loop\n    reload\n    loadbalance\n}\n' }));
      store.put({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'kube-proxy', namespace: 'kube-system', creationTimestamp: ago(30) } });
      store.put({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'coredns', namespace: 'kube-system', creationTimestamp: ago(30) } });
      for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
        store.put({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: ns, creationTimestamp: ago(30) } });
      }

      for (const n of nodes) {
        store.put(
          makeNode({
            name: n.name,
            internalIP: n.ip,
            podCIDR: n.podCIDR,
            controlPlane: n.controlPlane ?? false,
            kubeletVersion: version,
            providerID: n.controlPlane ? 'aws:///us-east-1a/i-0123456789abcdef0' : `aws:///us-east-1a/i-0fedcba98765432${nodes.indexOf(n)}0`,
            ...(cni === 'flannel' || cni === 'flannel-linux-defaults'
              ? {
                  annotations: {
                    'flannel.alpha.coreos.com/backend-data': JSON.stringify({ VNI: cni === 'flannel' ? 4096 : 1, VtepMAC: '5e:1c:9a:3b:7d:0' + String(nodes.indexOf(n)) }),
                    'flannel.alpha.coreos.com/backend-type': 'vxlan',
                    'flannel.alpha.coreos.com/kube-subnet-manager': 'true',
                    'flannel.alpha.coreos.com/public-ip': n.ip,
                  },
                }
              : {}),
          }),
        );
        store.put(makeLease(n.name));
      }
      const cp = nodes[0] as NodeInfo;

      // Control-plane static pods.
      staticPod(store, cp, 'etcd', 'registry.k8s.io/etcd:3.5.21-0', ['etcd', '--advertise-client-urls=https://10.0.1.10:2379', '--data-dir=/var/lib/etcd', '--listen-client-urls=https://127.0.0.1:2379,https://10.0.1.10:2379', '--name=cp-1'], { 'kubeadm.kubernetes.io/etcd.advertise-client-urls': 'https://10.0.1.10:2379' });
      staticPod(store, cp, 'kube-apiserver', `registry.k8s.io/kube-apiserver:${version}`, [
        'kube-apiserver',
        '--advertise-address=10.0.1.10',
        '--allow-privileged=true',
        '--authorization-mode=Node,RBAC',
        '--client-ca-file=/etc/kubernetes/pki/ca.crt',
        '--enable-admission-plugins=NodeRestriction',
        '--enable-bootstrap-token-auth=true',
        '--etcd-servers=https://127.0.0.1:2379',
        '--secure-port=6443',
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-cluster-ip-range=${serviceSubnet}`,
        '--tls-cert-file=/etc/kubernetes/pki/apiserver.crt',
        '--tls-private-key-file=/etc/kubernetes/pki/apiserver.key',
      ], { 'kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint': '10.0.1.10:6443' });
      staticPod(store, cp, 'kube-controller-manager', `registry.k8s.io/kube-controller-manager:${version}`, [
        'kube-controller-manager',
        '--allocate-node-cidrs=true',
        '--authentication-kubeconfig=/etc/kubernetes/controller-manager.conf',
        '--bind-address=127.0.0.1',
        `--cluster-cidr=${podSubnet}`,
        '--cluster-name=kubernetes',
        '--cluster-signing-cert-file=/etc/kubernetes/pki/ca.crt',
        '--cluster-signing-key-file=/etc/kubernetes/pki/ca.key',
        '--controllers=*,bootstrapsigner,tokencleaner',
        '--leader-elect=true',
        `--service-cluster-ip-range=${serviceSubnet}`,
        '--use-service-account-credentials=true',
      ]);
      staticPod(store, cp, 'kube-scheduler', `registry.k8s.io/kube-scheduler:${version}`, ['kube-scheduler', '--bind-address=127.0.0.1', '--kubeconfig=/etc/kubernetes/scheduler.conf', '--leader-elect=true']);

      // kube-proxy
      const proxyTemplate: PodTemplateOptions = {
        labels: { 'k8s-app': 'kube-proxy' },
        containers: [
          {
            name: 'kube-proxy',
            image: `registry.k8s.io/kube-proxy:${version}`,
            command: ['/usr/local/bin/kube-proxy', '--config=/var/lib/kube-proxy/config.conf', '--hostname-override=$(NODE_NAME)'],
            env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } }],
            securityContext: { privileged: true },
            volumeMounts: [{ name: 'kube-proxy', mountPath: '/var/lib/kube-proxy' }],
          },
        ],
        nodeSelector: { 'kubernetes.io/os': 'linux' },
        hostNetwork: true,
        priorityClassName: 'system-node-critical',
        serviceAccountName: 'kube-proxy',
        tolerations: [{ operator: 'Exists' }],
        volumes: [{ name: 'kube-proxy', configMap: { name: 'kube-proxy', defaultMode: 420 } }],
      };
      const proxyDs = makeDaemonSet({ namespace: 'kube-system', name: 'kube-proxy', template: proxyTemplate, scheduled: nodes.length });
      store.put(proxyDs);
      daemonPods(store, proxyDs, nodes, proxyTemplate, () => undefined);

      // CNI
      if (cni === 'flannel' || cni === 'flannel-linux-defaults') flannelObjects(store, nodes, podSubnet, cni === 'flannel-linux-defaults', o.flannelOsSelector ?? 'nodeSelector');
      if (isCalico) calicoObjects(store, nodes, podSubnet, serviceSubnet, cni === 'calico-windows', endpoint);

      // CoreDNS: Deployment, ReplicaSet, 2 ready pods, Service, Endpoints, EndpointSlice.
      const dnsTemplate: PodTemplateOptions = {
        labels: { 'k8s-app': 'kube-dns' },
        containers: [
          {
            name: 'coredns',
            image: 'registry.k8s.io/coredns/coredns:v1.12.0',
            args: ['-conf', '/etc/coredns/Corefile'],
            ports: [
              { name: 'dns', containerPort: 53, protocol: 'UDP' },
              { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
              { name: 'metrics', containerPort: 9153, protocol: 'TCP' },
            ],
            resources: { limits: { memory: '170Mi' }, requests: { cpu: '100m', memory: '70Mi' } },
          },
        ],
        nodeSelector: { 'kubernetes.io/os': 'linux' },
        priorityClassName: 'system-cluster-critical',
        serviceAccountName: 'coredns',
        tolerations: [{ key: 'CriticalAddonsOnly', operator: 'Exists' }, { effect: 'NoSchedule', key: 'node-role.kubernetes.io/control-plane' }],
      };
      store.put(makeDeployment({ namespace: 'kube-system', name: 'coredns', labels: { 'k8s-app': 'kube-dns' }, replicas: 2, template: dnsTemplate }));
      const rsName = 'coredns-674b8bbfcf';
      store.put({
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: rsName,
          namespace: 'kube-system',
          labels: { 'k8s-app': 'kube-dns', 'pod-template-hash': '674b8bbfcf' },
          ownerReferences: [{ ...withOwner(store, 'deployments.apps', 'kube-system', 'coredns'), controller: true, blockOwnerDeletion: true }],
          creationTimestamp: ago(30),
          generation: 1,
        },
        spec: { replicas: 2, selector: { matchLabels: { 'k8s-app': 'kube-dns', 'pod-template-hash': '674b8bbfcf' } } },
        status: { availableReplicas: 2, fullyLabeledReplicas: 2, observedGeneration: 1, readyReplicas: 2, replicas: 2 },
      });
      const rsOwner = withOwner(store, 'replicasets.apps', 'kube-system', rsName);
      const dnsPodIps = [cidrHost(cp.podCIDR, 2), cidrHost(cp.podCIDR, 3)];
      const dnsPods = dnsPodIps.map((ip, i) =>
        store.put(
          makePod({
            namespace: 'kube-system',
            name: `${rsName}-${['2xk9p', '8mvqz'][i] ?? suffix(ip)}`,
            nodeName: cp.name,
            hostIP: cp.ip,
            podIP: ip,
            template: { ...dnsTemplate, labels: { ...dnsTemplate.labels, 'pod-template-hash': '674b8bbfcf' } },
            owner: rsOwner,
          }),
        ),
      );
      store.put(
        makeService({
          namespace: 'default',
          name: 'kubernetes',
          clusterIP: apiIp,
          labels: { component: 'apiserver', provider: 'kubernetes' },
          ports: [{ name: 'https', port: 443, targetPort: 6443 }],
        }),
      );
      store.put(makeEndpoints({ namespace: 'default', name: 'kubernetes', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' }, addresses: [{ ip: cp.ip }], ports: [{ name: 'https', port: 6443 }] }));
      store.put(makeEndpointSlice({ namespace: 'default', service: 'kubernetes', name: 'kubernetes', managedBy: 'endpointslice.kubernetes.io/managed-by', addresses: [{ ip: cp.ip }], ports: [{ name: 'https', port: 6443 }] }));
      store.put(
        makeService({
          namespace: 'kube-system',
          name: 'kube-dns',
          clusterIP: dnsIp,
          labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' },
          annotations: { 'prometheus.io/port': '9153', 'prometheus.io/scrape': 'true' },
          selector: { 'k8s-app': 'kube-dns' },
          ports: [
            { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
            { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
            { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 },
          ],
        }),
      );
      const dnsAddresses = dnsPods.map((p) => ({
        ip: ((p['status'] ?? {}) as { podIP: string }).podIP,
        nodeName: cp.name,
        targetRef: { kind: 'Pod', name: p.metadata?.name ?? '', namespace: 'kube-system', uid: p.metadata?.uid ?? '' },
      }));
      const dnsPorts = [
        { name: 'dns-tcp', port: 53, protocol: 'TCP' },
        { name: 'dns', port: 53, protocol: 'UDP' },
        { name: 'metrics', port: 9153, protocol: 'TCP' },
      ];
      store.put(makeEndpoints({ namespace: 'kube-system', name: 'kube-dns', labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' }, addresses: dnsAddresses, ports: dnsPorts }));
      store.put(makeEndpointSlice({ namespace: 'kube-system', service: 'kube-dns', name: 'kube-dns-q7m2x', addresses: dnsAddresses, ports: dnsPorts, labels: { 'k8s-app': 'kube-dns' } }));

      if (o.linuxOnlyDaemonSet ?? true) nodeExporter(store, nodes);
      await o.extraSeed?.(ctx);
    },
  };
}

/**
 * A healthy kubeadm v1.33.2 cluster with flannel (vxlan, VNI 4096, port 4789 — the values Windows
 * nodes need), cp-1 + worker-1, CoreDNS, kube-proxy, bootstrap token BOOTSTRAP_TOKEN, and
 * monitoring/node-exporter (a Linux-only DaemonSet with no OS selector) unless
 * `linuxOnlyDaemonSet: false`.
 */
export function healthyKubeadmFlannel(o: Omit<KubeadmFixtureOptions, 'cni'> = {}): FakeClusterFixture {
  return kubeadmFixture('healthyKubeadmFlannel', { ...o, cni: 'flannel' });
}

/** As healthyKubeadmFlannel but flannel's net-conf has vxlan without VNI/Port (Linux defaults VNI 1, port 8472). */
export function flannelLinuxDefaults(o: Omit<KubeadmFixtureOptions, 'cni'> = {}): FakeClusterFixture {
  return kubeadmFixture('flannelLinuxDefaults', { ...o, cni: 'flannel-linux-defaults' });
}

/**
 * kubeadm + Calico through the tigera-operator (Installation "default", VXLAN IP pool
 * 192.168.0.0/16, calico-system/calico-node). `windowsDataplane: true` (default) sets
 * windowsDataplane HNS, serviceCIDRs, IPAMConfig strictAffinity and the
 * tigera-operator/kubernetes-services-endpoint ConfigMap; false leaves Windows disabled.
 */
export function calico(o: Omit<KubeadmFixtureOptions, 'cni'> & { windowsDataplane?: boolean } = {}): FakeClusterFixture {
  const windows = o.windowsDataplane ?? true;
  return kubeadmFixture(windows ? 'calicoWindowsDataplane' : 'calicoLinuxOnly', { ...o, cni: windows ? 'calico-windows' : 'calico' });
}

/** A healthy cluster plus LIMITED_TOKEN (user jane, group developers) that may only get/list/watch pods, nodes, namespaces, configmaps, services. */
export function rbacDenied(o: Omit<KubeadmFixtureOptions, 'cni'> = {}): FakeClusterFixture {
  const base = kubeadmFixture('rbacDenied', { ...o, cni: 'flannel' });
  return {
    ...base,
    tokens: { ...base.tokens, [LIMITED_TOKEN]: { user: LIMITED_USER, groups: ['developers'] } },
    seed: async (ctx) => {
      await base.seed(ctx);
      ctx.store.put(makeClusterRole('limited-viewer', [{ apiGroups: [''], resources: ['pods', 'nodes', 'namespaces', 'configmaps', 'services'], verbs: ['get', 'list', 'watch'] }]));
      ctx.store.put(makeClusterRoleBinding('limited-viewer-developers', 'limited-viewer', [{ kind: 'Group', name: 'developers' }]));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Managed clusters

export interface EksFixtureOptions {
  /** default v1.33.5-eks-3025e55 */
  version?: string;
  /** amazon-vpc-cni enable-windows-ipam (default false). */
  windowsIpam?: boolean;
  linuxOnlyDaemonSet?: boolean;
  extraSeed?: (ctx: SeedContext) => void | Promise<void>;
}

/**
 * An EKS-like cluster, recognisable by its objects: kube-system/aws-node (Amazon VPC CNI),
 * amazon-vpc-cni and aws-auth ConfigMaps, nodes labelled eks.amazonaws.com/nodegroup with
 * aws:/// providerIDs, a vX.Y.Z-eks-… version; no kubeadm-config and no cluster-info.
 */
export function eks(o: EksFixtureOptions = {}): FakeClusterFixture {
  const version = o.version ?? 'v1.33.5-eks-3025e55';
  const kubelet = 'v1.33.5-eks-98436be';
  return {
    name: 'eks',
    gitVersion: version,
    tokens: adminTokens(),
    serviceCidr: '10.100.0.0/16',
    seed: async (ctx) => {
      const { store } = ctx;
      for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) store.put(makeNamespace(ns));
      putAll(store, kubeadmRbac().filter((x) => x.kind?.startsWith('Cluster') && ['cluster-admin', 'kubeadm:cluster-admins'].includes(x.metadata?.name ?? '')));
      const nodes: NodeInfo[] = [
        { name: 'ip-192-168-12-34.ec2.internal', ip: '192.168.12.34', podCIDR: '' },
        { name: 'ip-192-168-45-67.ec2.internal', ip: '192.168.45.67', podCIDR: '' },
      ];
      nodes.forEach((n, i) => {
        store.put(
          makeNode({
            name: n.name,
            internalIP: n.ip,
            kubeletVersion: kubelet,
            osImage: 'Amazon Linux 2023.7.20250623',
            kernelVersion: '6.1.141-155.222.amzn2023.x86_64',
            containerRuntimeVersion: 'containerd://1.7.27',
            providerID: `aws:///us-east-1${i === 0 ? 'a' : 'b'}/i-0a1b2c3d4e5f6071${i}`,
            labels: {
              'alpha.eksctl.io/cluster-name': 'demo',
              'alpha.eksctl.io/nodegroup-name': 'ng-linux',
              'eks.amazonaws.com/capacityType': 'ON_DEMAND',
              'eks.amazonaws.com/nodegroup': 'ng-linux',
              'eks.amazonaws.com/nodegroup-image': 'ami-0c1d2e3f4a5b6c7d8',
              'eks.amazonaws.com/sourceLaunchTemplateId': 'lt-0123456789abcdef0',
              'eks.amazonaws.com/sourceLaunchTemplateVersion': '1',
              'node.kubernetes.io/instance-type': 'm5.large',
              'topology.kubernetes.io/region': 'us-east-1',
              'topology.kubernetes.io/zone': `us-east-1${i === 0 ? 'a' : 'b'}`,
              'topology.k8s.aws/zone-id': `use1-az${i + 1}`,
            },
            annotations: { 'alpha.kubernetes.io/provided-node-ip': n.ip },
          }),
        );
        store.put(makeLease(n.name));
      });
      store.put(
        makeConfigMap('kube-system', 'amazon-vpc-cni', {
          'enable-network-policy-controller': 'false',
          'enable-windows-ipam': String(o.windowsIpam ?? false),
          'enable-windows-prefix-delegation': 'false',
          'minimum-ip-target': '3',
          'warm-ip-target': '1',
          'warm-prefix-target': '0',
        }, { labels: { 'app.kubernetes.io/instance': 'aws-vpc-cni', 'app.kubernetes.io/name': 'aws-node', 'app.kubernetes.io/version': 'v1.19.5' } }),
      );
      store.put(
        makeConfigMap('kube-system', 'aws-auth', {
          mapRoles: [
            '- groups:',
            '  - system:bootstrappers',
            '  - system:nodes',
            '  rolearn: arn:aws:iam::111122223333:role/eksctl-demo-nodegroup-ng-linux-NodeInstanceRole',
            '  username: system:node:{{EC2PrivateDNSName}}',
            '',
          ].join('\n'),
        }),
      );
      const linuxAffinity = osAffinity(['linux'], [
        { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64', 'arm64'] },
        { key: 'eks.amazonaws.com/compute-type', operator: 'NotIn', values: ['fargate', 'hybrid', 'auto'] },
      ]);
      const awsNode: PodTemplateOptions = {
        labels: { 'app.kubernetes.io/instance': 'aws-vpc-cni', 'app.kubernetes.io/name': 'aws-node', 'k8s-app': 'aws-node' },
        containers: [
          { name: 'aws-node', image: '602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon-k8s-cni:v1.19.5-eksbuild.1', env: [{ name: 'AWS_VPC_K8S_CNI_LOGLEVEL', value: 'DEBUG' }, { name: 'ENABLE_PREFIX_DELEGATION', value: 'false' }], ports: [{ name: 'metrics', containerPort: 61678 }] },
          { name: 'aws-eks-nodeagent', image: '602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon/aws-network-policy-agent:v1.2.1-eksbuild.1' },
        ],
        affinity: linuxAffinity,
        hostNetwork: true,
        priorityClassName: 'system-node-critical',
        serviceAccountName: 'aws-node',
        tolerations: [{ operator: 'Exists' }],
      };
      const ds = makeDaemonSet({ namespace: 'kube-system', name: 'aws-node', labels: { 'k8s-app': 'aws-node' }, template: awsNode, scheduled: nodes.length });
      store.put(ds);
      daemonPods(store, ds, nodes, awsNode, () => undefined);
      const proxy: PodTemplateOptions = {
        labels: { 'k8s-app': 'kube-proxy' },
        containers: [{ name: 'kube-proxy', image: '602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/kube-proxy:v1.33.0-minimal-eksbuild.2', command: ['kube-proxy', '--v=2', '--config=/var/lib/kube-proxy-config/config', '--hostname-override=$(NODE_NAME)'] }],
        affinity: linuxAffinity,
        hostNetwork: true,
        priorityClassName: 'system-node-critical',
        serviceAccountName: 'kube-proxy',
        tolerations: [{ operator: 'Exists' }],
      };
      const pds = makeDaemonSet({ namespace: 'kube-system', name: 'kube-proxy', template: proxy, scheduled: nodes.length });
      store.put(pds);
      daemonPods(store, pds, nodes, proxy, () => undefined);
      store.put(
        makeDeployment({
          namespace: 'kube-system',
          name: 'coredns',
          labels: { 'eks.amazonaws.com/component': 'coredns', 'k8s-app': 'kube-dns', 'kubernetes.io/name': 'CoreDNS' },
          replicas: 2,
          template: {
            labels: { 'eks.amazonaws.com/component': 'coredns', 'k8s-app': 'kube-dns' },
            containers: [{ name: 'coredns', image: '602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/coredns:v1.12.1-eksbuild.2', args: ['-conf', '/etc/coredns/Corefile'] }],
            affinity: osAffinity(['linux'], [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64', 'arm64'] }]),
            priorityClassName: 'system-cluster-critical',
            serviceAccountName: 'coredns',
          },
        }),
      );
      store.put(makeService({ namespace: 'default', name: 'kubernetes', clusterIP: '10.100.0.1', labels: { component: 'apiserver', provider: 'kubernetes' }, ports: [{ name: 'https', port: 443, targetPort: 443 }] }));
      store.put(
        makeService({
          namespace: 'kube-system',
          name: 'kube-dns',
          clusterIP: '10.100.0.10',
          labels: { 'eks.amazonaws.com/component': 'kube-dns', 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' },
          selector: { 'k8s-app': 'kube-dns' },
          ports: [
            { name: 'dns', port: 53, protocol: 'UDP' },
            { name: 'dns-tcp', port: 53, protocol: 'TCP' },
            { name: 'metrics', port: 9153, protocol: 'TCP' },
          ],
        }),
      );
      if (o.linuxOnlyDaemonSet ?? false) nodeExporter(store, nodes);
      await o.extraSeed?.(ctx);
    },
  };
}

export interface AksFixtureOptions {
  /** default v1.32.6 */
  version?: string;
  extraSeed?: (ctx: SeedContext) => void | Promise<void>;
}

/**
 * An AKS-like cluster: nodes labelled kubernetes.azure.com/cluster with azure:/// VMSS
 * providerIDs, azure-cns / azure-ip-masq-agent / cloud-node-manager DaemonSets, version v1.32.x.
 */
export function aksLike(o: AksFixtureOptions = {}): FakeClusterFixture {
  const version = o.version ?? 'v1.32.6';
  return {
    name: 'aksLike',
    gitVersion: version,
    tokens: adminTokens(),
    serviceCidr: '10.0.0.0/16',
    seed: async (ctx) => {
      const { store } = ctx;
      for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) store.put(makeNamespace(ns));
      putAll(store, kubeadmRbac().filter((x) => ['cluster-admin', 'kubeadm:cluster-admins'].includes(x.metadata?.name ?? '')));
      const nodes: NodeInfo[] = [0, 1].map((i) => ({ name: `aks-nodepool1-12345678-vmss00000${i}`, ip: `10.224.0.${4 + i}`, podCIDR: '' }));
      nodes.forEach((n, i) => {
        store.put(
          makeNode({
            name: n.name,
            internalIP: n.ip,
            kubeletVersion: version,
            osImage: 'Ubuntu 22.04.5 LTS',
            kernelVersion: '5.15.0-1089-azure',
            containerRuntimeVersion: 'containerd://1.7.27-1',
            providerID: `azure:///subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/mc_rg_cluster_eastus/providers/Microsoft.Compute/virtualMachineScaleSets/aks-nodepool1-12345678-vmss/virtualMachines/${i}`,
            labels: {
              agentpool: 'nodepool1',
              'kubernetes.azure.com/agentpool': 'nodepool1',
              'kubernetes.azure.com/cluster': 'MC_rg_cluster_eastus',
              'kubernetes.azure.com/consolidated-additional-properties': '0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d',
              'kubernetes.azure.com/kubelet-identity-client-id': '11111111-2222-3333-4444-555555555555',
              'kubernetes.azure.com/mode': 'system',
              'kubernetes.azure.com/network-policy': 'none',
              'kubernetes.azure.com/node-image-version': 'AKSUbuntu-2204gen2containerd-202506.16.0',
              'kubernetes.azure.com/nodepool-type': 'VirtualMachineScaleSets',
              'kubernetes.azure.com/os-sku': 'Ubuntu',
              'kubernetes.azure.com/role': 'agent',
              'node.kubernetes.io/instance-type': 'Standard_D4s_v3',
              'topology.kubernetes.io/region': 'eastus',
              'topology.kubernetes.io/zone': '0',
            },
          }),
        );
        store.put(makeLease(n.name));
      });
      const ds = (name: string, image: string, labels: Record<string, string>): void => {
        const template: PodTemplateOptions = {
          labels,
          containers: [{ name, image }],
          affinity: osAffinity(['linux'], [{ key: 'kubernetes.azure.com/cluster', operator: 'Exists' }]),
          hostNetwork: true,
          priorityClassName: 'system-node-critical',
          tolerations: [{ operator: 'Exists' }],
        };
        const d = makeDaemonSet({ namespace: 'kube-system', name, labels: { ...labels, 'kubernetes.azure.com/managedby': 'aks' }, template, scheduled: nodes.length });
        store.put(d);
        daemonPods(store, d, nodes, template, () => undefined);
      };
      ds('azure-cns', 'mcr.microsoft.com/containernetworking/azure-cns:v1.6.27', { 'k8s-app': 'azure-cns' });
      ds('azure-ip-masq-agent', 'mcr.microsoft.com/aks/ip-masq-agent-v2:v0.1.15', { 'k8s-app': 'azure-ip-masq-agent' });
      ds('cloud-node-manager', 'mcr.microsoft.com/oss/kubernetes/azure-cloud-node-manager:v1.32.6', { 'k8s-app': 'cloud-node-manager' });
      ds('kube-proxy', `mcr.microsoft.com/oss/kubernetes/kube-proxy:${version}`, { component: 'kube-proxy', tier: 'node' });
      store.put(
        makeDeployment({
          namespace: 'kube-system',
          name: 'coredns',
          labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.azure.com/managedby': 'aks' },
          replicas: 2,
          template: {
            labels: { 'k8s-app': 'kube-dns', 'kubernetes.azure.com/managedby': 'aks' },
            containers: [{ name: 'coredns', image: 'mcr.microsoft.com/oss/v2/kubernetes/coredns:v1.11.3-8' }],
            nodeSelector: { 'kubernetes.io/os': 'linux' },
            priorityClassName: 'system-node-critical',
            serviceAccountName: 'coredns',
          },
        }),
      );
      store.put(makeService({ namespace: 'default', name: 'kubernetes', clusterIP: '10.0.0.1', labels: { component: 'apiserver', provider: 'kubernetes' }, ports: [{ name: 'https', port: 443 }] }));
      store.put(
        makeService({
          namespace: 'kube-system',
          name: 'kube-dns',
          clusterIP: '10.0.0.10',
          labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' },
          selector: { 'k8s-app': 'kube-dns' },
          ports: [
            { name: 'dns', port: 53, protocol: 'UDP' },
            { name: 'dns-tcp', port: 53, protocol: 'TCP' },
          ],
        }),
      );
      await o.extraSeed?.(ctx);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// kubeconfig

export interface KubeconfigForOptions {
  /** Bearer token user. */
  token?: string;
  /** Client-certificate user: CN = user, O = groups (signed by the fake's CA). */
  certUser?: { user: string; groups?: string[] };
  contextName?: string;
  namespace?: string;
  /** Where to write (default: a new temp dir). */
  path?: string;
}

/** Write a kubeconfig for `fake` (CA embedded) with a token or client-certificate user; returns its path. */
export function writeKubeconfigFor(fake: FakeKubeApiServer, o: KubeconfigForOptions): string {
  if (!o.token && !o.certUser) throw new Error('writeKubeconfigFor: pass token or certUser');
  const cert = o.certUser ? fake.issueClientCertificate(o.certUser.user, o.certUser.groups ?? []) : undefined;
  return writeKubeconfig({
    server: fake.url,
    caPem: fake.caPem,
    contextName: o.contextName ?? 'fake',
    ...(o.namespace ? { namespace: o.namespace } : {}),
    ...(o.path ? { path: o.path } : {}),
    user: cert ? { clientCertPem: cert.certPem, clientKeyPem: cert.keyPem } : { token: o.token ?? '' },
  });
}

export { renderKubeconfig, writeKubeconfig } from './kubeconfig.js';
export type { KubeconfigOptions, KubeconfigUser } from './kubeconfig.js';

/** The bootstrap-token Secrets win-k8s made (its managed-by label), as a join or a killed run leaves them. */
export function winK8sTokenSecrets(fake: FakeKubeApiServer): KubeObject[] {
  return fake.store.list('secrets', { namespace: 'kube-system' }).filter((s) => s.type === 'bootstrap.kubernetes.io/token' && (s.metadata as { labels?: Record<string, string> }).labels?.['app.kubernetes.io/managed-by'] === 'win-k8s');
}

/** Puts the fixture's control plane node (cp-1) on a cloud VM: placement comes from its providerID. */
export function placeControlPlane(fake: FakeKubeApiServer, providerId: string): void {
  const cp = fake.store.get('nodes', undefined, 'cp-1')!;
  (cp.spec as { providerID: string }).providerID = providerId;
  fake.store.put(cp);
}
