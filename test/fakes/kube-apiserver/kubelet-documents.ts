/**
 * What a Windows kubelet serves at /configz and /stats/summary, in the shapes of its published
 * types: KubeletConfiguration (k8s.io/kubelet/config/v1beta1, JSON names, wrapped as
 * {"kubeletconfig": ...}, empty lists and maps omitted) and Summary
 * (k8s.io/kubelet/pkg/apis/stats/v1alpha1). The configuration is the one a kubeadm-joined
 * Windows node runs with once the bootstrap's flags (--cgroups-per-qos=false,
 * --enforce-node-allocatable=, --resolv-conf=, the runtime's pipe) are applied; the numbers of
 * the summary are those of a 4-vCPU, 16 GiB Windows Server 2022 VM with a 128 GiB C: drive.
 */

export type KubeletConfigDoc = Record<string, unknown>;

const GiB = 1024 ** 3;

/** A Windows kubelet's /configz body (v1.33, kubeadm join, containerd): cgroups off, nothing enforced. */
export function windowsKubeletConfig(edit?: (c: KubeletConfigDoc) => void): { kubeletconfig: KubeletConfigDoc } {
  const c: KubeletConfigDoc = {
    enableServer: true,
    syncFrequency: '1m0s',
    fileCheckFrequency: '20s',
    httpCheckFrequency: '20s',
    address: '0.0.0.0',
    port: 10250,
    rotateCertificates: true,
    authentication: { x509: { clientCAFile: 'C:\\etc\\kubernetes\\pki\\ca.crt' }, webhook: { enabled: true, cacheTTL: '2m0s' }, anonymous: { enabled: false } },
    authorization: { mode: 'Webhook', webhook: { cacheAuthorizedTTL: '5m0s', cacheUnauthorizedTTL: '30s' } },
    registryPullQPS: 5,
    registryBurst: 10,
    eventRecordQPS: 50,
    eventBurst: 100,
    enableDebuggingHandlers: true,
    healthzPort: 10248,
    healthzBindAddress: '127.0.0.1',
    oomScoreAdj: -999,
    clusterDomain: 'cluster.local',
    clusterDNS: ['10.96.0.10'],
    streamingConnectionIdleTimeout: '4h0m0s',
    nodeStatusUpdateFrequency: '10s',
    nodeStatusReportFrequency: '5m0s',
    nodeLeaseDurationSeconds: 40,
    imageMinimumGCAge: '2m0s',
    imageMaximumGCAge: '0s',
    imageGCHighThresholdPercent: 85,
    imageGCLowThresholdPercent: 80,
    volumeStatsAggPeriod: '1m0s',
    cgroupsPerQOS: false,
    cgroupDriver: 'cgroupfs',
    cpuManagerPolicy: 'none',
    cpuManagerReconcilePeriod: '10s',
    memoryManagerPolicy: 'None',
    topologyManagerPolicy: 'none',
    topologyManagerScope: 'container',
    runtimeRequestTimeout: '2m0s',
    hairpinMode: 'promiscuous-bridge',
    maxPods: 110,
    podPidsLimit: -1,
    resolvConf: '',
    cpuCFSQuota: true,
    cpuCFSQuotaPeriod: '100ms',
    nodeStatusMaxImages: 50,
    maxOpenFiles: 1000000,
    contentType: 'application/vnd.kubernetes.protobuf',
    kubeAPIQPS: 50,
    kubeAPIBurst: 100,
    serializeImagePulls: true,
    evictionHard: { 'imagefs.available': '15%', 'memory.available': '100Mi', 'nodefs.available': '10%' },
    evictionPressureTransitionPeriod: '5m0s',
    enableControllerAttachDetach: true,
    makeIPTablesUtilChains: true,
    iptablesMasqueradeBit: 14,
    iptablesDropBit: 15,
    failSwapOn: true,
    memorySwap: {},
    containerLogMaxSize: '10Mi',
    containerLogMaxFiles: 5,
    configMapAndSecretChangeDetectionStrategy: 'Watch',
    volumePluginDir: 'C:\\usr\\libexec\\kubernetes\\kubelet-plugins\\volume\\exec\\',
    logging: { format: 'text', flushFrequency: '5s', verbosity: 0, options: { json: { infoBufferSize: '0' } } },
    enableSystemLogHandler: true,
    enableSystemLogQuery: false,
    shutdownGracePeriod: '0s',
    shutdownGracePeriodCriticalPods: '0s',
    enableProfilingHandler: true,
    enableDebugFlagsHandler: true,
    seccompDefault: false,
    memoryThrottlingFactor: 0.9,
    registerNode: true,
    localStorageCapacityIsolation: true,
    containerRuntimeEndpoint: 'npipe:////./pipe/containerd-containerd',
  };
  edit?.(c);
  return { kubeletconfig: c };
}

/** "a=1,b=2" and "a<1,b<2" as the kubelet's map flags take them. */
function mapFlag(value: string, sep: '=' | '<'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of value.split(',').filter(Boolean)) {
    const at = pair.indexOf(sep);
    if (at > 0) out[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return out;
}

/**
 * The kubelet's effective configuration for a command line: its flags override the config file
 * (here the recorded Windows one), as the kubelet applies them. Only the flags that change what
 * /configz shows for the checks are applied; others are ignored.
 */
export function kubeletConfigForFlags(flags: readonly string[]): { kubeletconfig: KubeletConfigDoc } {
  return windowsKubeletConfig((c) => {
    for (const f of flags) {
      const m = /^--([a-z-]+)(?:=(.*))?$/.exec(f);
      if (!m) continue;
      const value = m[2] ?? 'true';
      switch (m[1]) {
        case 'cgroups-per-qos':
          c['cgroupsPerQOS'] = value === 'true';
          break;
        case 'enforce-node-allocatable': {
          const levels = value.split(',').filter(Boolean);
          if (levels.length > 0) c['enforceNodeAllocatable'] = levels;
          else delete c['enforceNodeAllocatable'];
          break;
        }
        case 'container-runtime-endpoint':
          c['containerRuntimeEndpoint'] = value;
          break;
        case 'resolv-conf':
          c['resolvConf'] = value;
          break;
        case 'system-reserved':
          c['systemReserved'] = mapFlag(value, '=');
          break;
        case 'kube-reserved':
          c['kubeReserved'] = mapFlag(value, '=');
          break;
        case 'eviction-hard':
          c['evictionHard'] = mapFlag(value, '<');
          break;
        default:
          break;
      }
    }
  });
}

export interface SummaryPod {
  namespace: string;
  name: string;
  uid?: string;
  workingSetBytes?: number;
}

export interface SummaryOptions {
  /** Memory the node has (its capacity), and how much of it is in use (working set). */
  memoryBytes?: number;
  memoryWorkingSetBytes?: number;
  /** C: drive: containerd keeps its images there too on Windows, so nodefs and imageFs share it. */
  fsCapacityBytes?: number;
  fsUsedBytes?: number;
  /** The image filesystem's own use, when it differs from the node's (a separate disk). */
  imageFs?: { capacityBytes: number; usedBytes: number };
  pods?: SummaryPod[];
  time?: string;
}

const cpu = (time: string, cores: number) => ({ time, usageNanoCores: Math.round(cores * 1e9), usageCoreNanoSeconds: Math.round(cores * 3.6e12) });

/** A Windows kubelet's /stats/summary body. Windows reports no inodes, no rlimit and no swap. */
export function windowsSummary(nodeName: string, o: SummaryOptions = {}): Record<string, unknown> {
  const time = o.time ?? new Date().toISOString();
  const memory = o.memoryBytes ?? 16 * GiB;
  const workingSet = o.memoryWorkingSetBytes ?? 5.2 * GiB;
  const fsCapacity = o.fsCapacityBytes ?? 136_289_628_160;
  const fsUsed = o.fsUsedBytes ?? 41_000_000_000;
  const fs = { time, availableBytes: fsCapacity - fsUsed, capacityBytes: fsCapacity, usedBytes: fsUsed };
  const image = o.imageFs ? { time, availableBytes: o.imageFs.capacityBytes - o.imageFs.usedBytes, capacityBytes: o.imageFs.capacityBytes, usedBytes: o.imageFs.usedBytes } : { ...fs, usedBytes: Math.round(fsUsed * 0.6) };
  return {
    node: {
      nodeName,
      systemContainers: [{ name: 'pods', startTime: time, cpu: cpu(time, 0.2), memory: { time, availableBytes: memory - workingSet, usageBytes: workingSet, workingSetBytes: Math.round(workingSet * 0.4) } }],
      startTime: time,
      cpu: cpu(time, 0.6),
      memory: { time, availableBytes: memory - workingSet, usageBytes: Math.round(workingSet * 1.3), workingSetBytes: workingSet },
      network: { time, name: 'vEthernet (Ethernet 2)', rxBytes: 1_823_301_220, rxErrors: 0, txBytes: 402_118_554, txErrors: 0, interfaces: [{ name: 'vEthernet (Ethernet 2)', rxBytes: 1_823_301_220, rxErrors: 0, txBytes: 402_118_554, txErrors: 0 }] },
      fs,
      runtime: { imageFs: image, containerFs: image },
    },
    pods: (o.pods ?? []).map((p, i) => {
      const ws = p.workingSetBytes ?? 180 * 1024 ** 2;
      return {
        podRef: { name: p.name, namespace: p.namespace, uid: p.uid ?? `uid-${p.namespace}-${p.name}` },
        startTime: time,
        containers: [{ name: p.name.split('-')[0] ?? 'c', startTime: time, cpu: cpu(time, 0.01 * (i + 1)), memory: { time, workingSetBytes: ws }, rootfs: { time, availableBytes: fs.availableBytes, capacityBytes: fsCapacity, usedBytes: 4096 }, logs: { time, availableBytes: fs.availableBytes, capacityBytes: fsCapacity, usedBytes: 2048 } }],
        cpu: cpu(time, 0.01 * (i + 1)),
        memory: { time, usageBytes: ws, workingSetBytes: ws },
        network: { time, name: '', interfaces: [] },
        'ephemeral-storage': { time, availableBytes: fs.availableBytes, capacityBytes: fsCapacity, usedBytes: 6144 },
        process_stats: { process_count: 3 },
      };
    }),
  };
}
