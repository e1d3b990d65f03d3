import type { RuntimeName } from '../compat/matrix.js';

/**
 * The configuration files the bootstrap writes for other programs (containerd's config.toml,
 * flannel's net-conf.json and CNI config), rendered here as data rather than built line by line
 * in PowerShell: one version of each file per script, testable without a node, and the script
 * stays small enough for EC2's 16 KB user data.
 *
 * Paths known only on the node (they derive from its system drive and ProgramData) are left as
 * NODE_PATH tokens that the script replaces with forward-slash paths, which containerd and the
 * CNI plugins accept on Windows and which need no escaping in TOML or JSON.
 */
export const NODE_PATH = {
  containerdRoot: '__WIN_K8S_CONTAINERD_ROOT__',
  containerdState: '__WIN_K8S_CONTAINERD_STATE__',
  cniBinDir: '__WIN_K8S_CNI_BIN_DIR__',
  cniConfDir: '__WIN_K8S_CNI_CONF_DIR__',
  nodeIp: '__WIN_K8S_NODE_IP__',
} as const;

/** Where the bootstrap token goes in the join configuration: the script fills it in on the node. */
export const TOKEN_SLOT = '__WIN_K8S_BOOTSTRAP_TOKEN__';

export interface JoinConfigInput {
  /** kubeadm.k8s.io/v1beta2 (1.15-1.26), v1beta3 (1.22+), v1beta4 (1.31+). */
  apiVersion: string;
  apiServer: string;
  caCertHash: string;
  nodeName: string;
  criSocket: string;
}

/**
 * kubeadm's JoinConfiguration: token discovery pinned to the cluster CA's public key
 * (caCertHashes; never unsafeSkipCAVerification), the node name win-k8s chose and the CRI
 * socket. The fields used are the same in v1beta2, v1beta3 and v1beta4. Every value was
 * validated (no quote can occur), so single-quoted YAML scalars need no escaping.
 */
export function joinConfigurationYaml(i: JoinConfigInput): string {
  return [
    `apiVersion: ${i.apiVersion}`,
    'kind: JoinConfiguration',
    'discovery:',
    '  bootstrapToken:',
    `    apiServerEndpoint: '${i.apiServer}'`,
    `    token: '${TOKEN_SLOT}'`,
    '    caCertHashes:',
    `    - '${i.caCertHash}'`,
    'nodeRegistration:',
    `  name: '${i.nodeName}'`,
    `  criSocket: '${i.criSocket}'`,
    '',
  ].join('\n');
}

export interface ContainerdConfigInput {
  /** 2 for containerd 1.x, 3 for 2.x (see compat/runtime containerdConfigVersion). */
  configVersion: 2 | 3;
  /** `bin_dir` up to containerd 2.0, `bin_dirs` from 2.1 (compat/runtime containerdCniBinKey). */
  cniBinKey: 'bin_dir' | 'bin_dirs';
  sandboxImage: string;
  hypervIsolation: boolean;
  hypervHandler: string;
}

const q = (s: string) => `'${s}'`; // TOML literal string: no escapes, no single quotes inside

/**
 * containerd's config for a Windows node: the CNI folders, the sandbox image, the process
 * isolation runtime by default and, when asked, the Hyper-V handler. Config version 3 (2.x)
 * moved the CRI settings to the io.containerd.cri.v1.images / .runtime plugin ids
 * (containerd docs/cri/config.md).
 */
export function containerdConfigToml(i: ContainerdConfigInput): string {
  const v3 = i.configVersion === 3;
  const images = v3 ? "plugins.'io.containerd.cri.v1.images'" : "plugins.'io.containerd.grpc.v1.cri'";
  const runtime = v3 ? "plugins.'io.containerd.cri.v1.runtime'" : "plugins.'io.containerd.grpc.v1.cri'";
  const bin = i.cniBinKey === 'bin_dirs' ? `bin_dirs = [${q(NODE_PATH.cniBinDir)}]` : `bin_dir = ${q(NODE_PATH.cniBinDir)}`;
  const lines = [
    `version = ${i.configVersion}`,
    `root = ${q(NODE_PATH.containerdRoot)}`,
    `state = ${q(NODE_PATH.containerdState)}`,
    '',
    '[grpc]',
    `  address = ${q('\\\\.\\pipe\\containerd-containerd')}`,
    '',
    ...(v3 ? [`[${images}.pinned_images]`, `  sandbox = ${q(i.sandboxImage)}`] : [`[${images}]`, `  sandbox_image = ${q(i.sandboxImage)}`]),
    '',
    `[${runtime}.cni]`,
    `  ${bin}`,
    `  conf_dir = ${q(NODE_PATH.cniConfDir)}`,
    '',
    `[${runtime}.containerd]`,
    "  default_runtime_name = 'runhcs-wcow-process'",
    '',
    `[${runtime}.containerd.runtimes.runhcs-wcow-process]`,
    "  runtime_type = 'io.containerd.runhcs.v1'",
  ];
  if (i.hypervIsolation) {
    // containerd's own Windows defaults for the hypervisor handler (internal/cri/config/config_windows.go).
    lines.push(
      '',
      `[${runtime}.containerd.runtimes.${i.hypervHandler}]`,
      "  runtime_type = 'io.containerd.runhcs.v1'",
      "  pod_annotations = ['io.microsoft.virtualmachine.*']",
      "  container_annotations = ['io.microsoft.container.*']",
      '',
      `[${runtime}.containerd.runtimes.${i.hypervHandler}.options]`,
      '  SandboxIsolation = 1',
      '  ScaleCpuLimitsToSandbox = true',
    );
  }
  return `${lines.join('\n')}\n`;
}

export interface FlannelInput {
  runtime: RuntimeName;
  clusterCidr: string;
  serviceCidr: string;
  vni: number;
  port: number;
}

/** flannel's net-conf.json: VXLAN with the VNI and port Windows needs. */
export function flannelNetConf(i: FlannelInput): string {
  return JSON.stringify({ Network: i.clusterCidr, Backend: { Type: 'vxlan', VNI: i.vni, Port: i.port } });
}

/**
 * The flannel CNI config. The flannel plugin delegates to the overlay plugin of the runtime's
 * networking stack:
 * - containerd (HCN, HNS v2): sdnoverlay from microsoft/windows-container-networking, which
 *   reads HNS v2 policies from AdditionalArgs (OutBoundNAT Settings.Exceptions, SDNRoute,
 *   ProviderAddress), as sig-windows-tools configures it;
 * - Docker (HNS v1): win-overlay from containernetworking/plugins, which reads only `policies`
 *   in the v1 format (OutBoundNAT ExceptionList, ROUTE with NeedEncap) and ignores AdditionalArgs
 *   (plugins pkg/hns/netconf_windows.go).
 * Service traffic is not NATed and is sent encapsulated; pod traffic stays in the overlay.
 */
export function flannelCniConf(i: FlannelInput): string {
  const delegate =
    i.runtime === 'containerd'
      ? {
          type: 'sdnoverlay',
          AdditionalArgs: [
            { Name: 'EndpointPolicy', Value: { Type: 'OutBoundNAT', Settings: { Exceptions: [i.clusterCidr, i.serviceCidr] } } },
            { Name: 'EndpointPolicy', Value: { Type: 'SDNRoute', Settings: { DestinationPrefix: i.serviceCidr, NeedEncap: true } } },
            { Name: 'EndpointPolicy', Value: { Type: 'ProviderAddress', Settings: { ProviderAddress: NODE_PATH.nodeIp } } },
          ],
        }
      : {
          type: 'win-overlay',
          policies: [
            { Name: 'EndpointPolicy', Value: { Type: 'OutBoundNAT', ExceptionList: [i.clusterCidr, i.serviceCidr] } },
            { Name: 'EndpointPolicy', Value: { Type: 'ROUTE', DestinationPrefix: i.serviceCidr, NeedEncap: true } },
          ],
        };
  const conf = { name: `flannel.${i.vni}`, cniVersion: '0.3.0', type: 'flannel', capabilities: { portMappings: true, dns: true }, delegate };
  return JSON.stringify(conf);
}
