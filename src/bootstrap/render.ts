import {
  applyChecksumOverrides,
  cniPluginsArtifact,
  containerdArtifact,
  criDockerdArtifact,
  crictlArtifact,
  dockerArtifact,
  flannelArtifact,
  flannelCniArtifact,
  hasKubeLogRunner,
  kubeLogRunnerRotates,
  kubernetesArtifacts,
  windowsCniArtifact,
  type Artifact,
} from '../compat/artifacts.js';
import { kubeletFlags, kubeProxyFlags } from '../compat/flags.js';
import { evaluate, type Finding, type Target } from '../compat/matrix.js';
import {
  HYPERV_RUNTIME_HANDLER,
  containerdCniBinKey,
  containerdConfigVersion,
  criSocket,
  crictlEndpoint,
  defaultContainerdVersion,
  defaultDockerVersion,
  sandboxImage,
} from '../compat/runtime.js';
import { k8sMinor } from '../compat/versions.js';
import { WINDOWS_RELEASES } from '../compat/windows.js';
import { UsageErrors } from '../errors.js';
import { containerdConfigToml, flannelCniConf, flannelNetConf, joinConfigurationYaml } from './node-files.js';
import { psBool, psInt, psString, psStringArray, psTable } from './powershell.js';
import { readTemplate, stripComments, substitute } from './templates.js';

/** Flannel on Windows: VXLAN with VNI >= 4096 on UDP 4789 (flannel Documentation/backends.md). */
export const FLANNEL_VNI = 4096;
export const FLANNEL_PORT = 4789;

export interface RenderRequest {
  target: Target & { dockerVersion?: string | undefined };
  nodeName: string;
  apiServer: string;
  token: string;
  caCertHash: string;
  serviceCidr: string;
  clusterCidr: string;
  labels: Record<string, string>;
  taints: readonly string[];
  proxy: { http?: string | undefined; https?: string | undefined; noProxy: readonly string[] };
  checksums: Record<string, string>;
  allowUnsupported: boolean;
  /** win-k8s's own version, stamped into the script. */
  toolVersion: string;
  /**
   * The cluster's flannel VNI (>= 4096 on Windows); the node's net-conf and kube-proxy's HNS
   * network (flannel.<VNI>) must match it. Defaults to 4096 when the cluster is not read (render).
   */
  flannelVni?: number | undefined;
  /** `provision` stops after the services phase: runtime and node binaries, no join. */
  mode?: 'join' | 'provision';
}

export const JOIN_PHASES = ['preflight', 'features', 'runtime', 'binaries', 'cni', 'services', 'join', 'network'] as const;
export const PROVISION_PHASES = ['preflight', 'features', 'runtime', 'binaries', 'cni', 'services'] as const;

/** What was rendered, minus secrets: `render -o json` prints it as `target`. */
export interface ResolvedTarget {
  nodeName: string;
  windowsVersion: string;
  windowsBuild: string;
  kubernetesVersion: string;
  runtime: string;
  runtimeVersion: string;
  cni: string;
  criSocket: string;
  sandboxImage: string;
  hypervIsolation: boolean;
  apiServer: string;
  serviceCidr: string;
  clusterCidr: string;
  kubeletFlags: string[];
  artifacts: { name: string; version: string; url: string; checksum: string }[];
}

export interface Rendered {
  script: string;
  target: ResolvedTarget;
  findings: Finding[];
}

/** The ordered template files that make up one node's script. */
export function templateFiles(target: Target, withProxy = false): string[] {
  return [
    '00-header.ps1',
    '10-lib.ps1',
    withProxy ? '15-proxy.ps1' : '15-no-proxy.ps1',
    '20-phase-preflight.ps1',
    '30-phase-features.ps1',
    `40-runtime-${target.runtime}.ps1`,
    '50-phase-binaries.ps1',
    `60-cni-${target.cni}.ps1`,
    '70-phase-services.ps1',
    '80-phase-join.ps1',
    '90-main.ps1',
  ].map((f) => `bootstrap/${f}`);
}

export function kubeadmApiVersion(kubernetesVersion: string): string {
  const minor = k8sMinor(kubernetesVersion);
  if (minor >= 31) return 'kubeadm.k8s.io/v1beta4';
  if (minor >= 22) return 'kubeadm.k8s.io/v1beta3';
  return 'kubeadm.k8s.io/v1beta2';
}

function selectArtifacts(req: RenderRequest, runtimeVersion: string): Artifact[] {
  const { target } = req;
  const kube = ['kubelet', 'kubeadm'];
  if (target.cni === 'flannel') kube.push('kube-proxy');
  if (hasKubeLogRunner(target.kubernetesVersion)) kube.push('kube-log-runner');
  const list: Artifact[] = kubernetesArtifacts(target.kubernetesVersion, kube);
  if (target.runtime === 'containerd') {
    list.push(containerdArtifact(runtimeVersion));
  } else {
    list.push(dockerArtifact(runtimeVersion));
    if (k8sMinor(target.kubernetesVersion) >= 24) list.push(criDockerdArtifact());
  }
  list.push(crictlArtifact(target.kubernetesVersion));
  if (target.cni === 'flannel') {
    list.push(flannelArtifact(), cniPluginsArtifact(), flannelCniArtifact());
    if (target.runtime === 'containerd') list.push(windowsCniArtifact());
  }
  return applyChecksumOverrides(list, req.checksums);
}

/** One download as the script reads it (see Get-ExpectedHash in templates/bootstrap/10-lib.ps1). */
function artifactLiteral(a: Artifact): string {
  // The file name on the node is the URL's last segment (every artifact is named so).
  if (!a.url.endsWith(`/${a.fileName}`)) throw new Error(`artifact ${a.name}: file name ${a.fileName} is not the URL's last segment`);
  const c = a.checksum;
  let checksum: string;
  if (c.kind === 'pinned') checksum = `sha256:${c.sha256}`;
  else if (c.kind === 'sidecar') {
    // Checksum files sit next to their asset; the script gets only the suffix (EC2 user data holds 16 KB).
    if (!c.url.startsWith(a.url)) throw new Error(`artifact ${a.name}: its checksum file is not next to it`);
    checksum = `sidecar:${c.url.slice(a.url.length)}`;
  } else if (c.kind === 'github') {
    // The script reads repository, tag and asset from the URL: they must be the ones named here.
    if (a.url !== `https://github.com/${c.repo}/releases/download/${c.tag}/${c.asset}`) throw new Error(`artifact ${a.name}: its URL is not the GitHub release asset ${c.repo} ${c.tag} ${c.asset}`);
    checksum = 'github';
  } else throw new Error(`artifact ${a.name}: no checksum`);
  return psTable({ Name: a.name, Url: a.url, Checksum: checksum });
}

function noProxyList(req: RenderRequest): string[] {
  const host = req.apiServer.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  const list = [...req.proxy.noProxy, 'localhost', '127.0.0.1', host, req.serviceCidr, req.clusterCidr, '.svc', '.cluster.local'];
  return [...new Set(list)];
}

/**
 * Renders the bootstrap PowerShell for one node. Validates the target against the
 * compatibility matrix first: an unsupported combination is a UsageError (exit 2) unless
 * allowUnsupported, in which case the findings are returned for the caller to warn about.
 */
export function renderBootstrap(req: RenderRequest): Rendered {
  const { target } = req;
  const runtimeVersion =
    target.runtime === 'containerd'
      ? (target.containerdVersion ?? defaultContainerdVersion(target.kubernetesVersion))
      : (target.dockerVersion ?? defaultDockerVersion(target.kubernetesVersion));
  const verdict = evaluate({ ...target, containerdVersion: target.runtime === 'containerd' ? runtimeVersion : undefined });
  const hard = verdict.findings.some((f) => f.severity === 'error' && f.overridable === false);
  if (!verdict.supported && (!req.allowUnsupported || hard)) {
    const errors = verdict.findings.filter((f) => f.severity === 'error' && (!req.allowUnsupported || f.overridable === false));
    throw new UsageErrors(
      errors.map((f) => `unsupported: ${f.message}${f.instead ? `; choose ${f.instead}` : ''} (${f.source})`),
      hard ? undefined : 'pass --allow-unsupported to render it anyway (nodes may not work)',
    );
  }

  const artifacts = selectArtifacts(req, runtimeVersion);
  const missing = artifacts.filter((a) => a.checksum.kind === 'missing');
  if (missing.length > 0) {
    throw new UsageErrors(
      missing.map((a) => `--checksum: ${a.checksum.kind === 'missing' ? a.checksum.why : ''}; pin it with --checksum ${a.name}=<sha256> (hash a copy you trust)`),
    );
  }

  const release = WINDOWS_RELEASES[target.windowsVersion];
  const vni = req.flannelVni ?? FLANNEL_VNI;
  if (!Number.isInteger(vni) || vni < FLANNEL_VNI) throw new UsageErrors([`flannel VNI ${vni}: Windows needs a VXLAN VNI of 4096 or more`]);
  const sandbox = sandboxImage(target.windowsVersion);
  const socket = criSocket(target.runtime, target.kubernetesVersion);
  const kubelet = kubeletFlags({
    kubernetesVersion: target.kubernetesVersion,
    runtime: target.runtime,
    cni: target.cni,
    nodeName: req.nodeName,
    labels: req.labels,
    taints: req.taints,
    sandboxImage: sandbox,
  });
  const proxyFlags =
    target.cni === 'flannel'
      ? kubeProxyFlags({ kubernetesVersion: target.kubernetesVersion, nodeName: req.nodeName, clusterCidr: req.clusterCidr, networkName: `flannel.${vni}` })
      : [];

  const flannel = { runtime: target.runtime, clusterCidr: req.clusterCidr, serviceCidr: req.serviceCidr, vni, port: FLANNEL_PORT };
  const values: Record<string, string> = {
    // Plain text inside the <# #> header: every part was validated and cannot contain "#>".
    SUMMARY: `win-k8s node bootstrap for ${req.nodeName}: Windows Server ${target.windowsVersion}, Kubernetes ${target.kubernetesVersion}, ${target.runtime} ${runtimeVersion}, CNI ${target.cni}. Rendered by win-k8s ${req.toolVersion}.`,
    WIN_K8S_VERSION: psString(req.toolVersion),
    NODE_NAME: psString(req.nodeName),
    WINDOWS_VERSION: psString(target.windowsVersion),
    WINDOWS_BUILD: psInt(release.build),
    KUBERNETES_VERSION: psString(target.kubernetesVersion),
    RUNTIME: psString(target.runtime),
    CNI: psString(target.cni),
    API_SERVER: psString(req.apiServer),
    CRI_SOCKET: psString(socket),
    CRICTL_ENDPOINT: psString(crictlEndpoint(target.runtime, target.kubernetesVersion)),
    SANDBOX_IMAGE: psString(sandbox),
    HYPERV_ISOLATION: psBool(target.hypervIsolation),
    JOIN_CONFIGURATION: psString(
      joinConfigurationYaml({ apiVersion: kubeadmApiVersion(target.kubernetesVersion), apiServer: req.apiServer, caCertHash: req.caCertHash, nodeName: req.nodeName, criSocket: socket }),
    ),
    USE_KUBE_LOG_RUNNER: psBool(hasKubeLogRunner(target.kubernetesVersion)),
    LOG_RUNNER_ROTATES: psBool(kubeLogRunnerRotates(target.kubernetesVersion)),
    KUBELET_FLAGS: psStringArray(kubelet),
    KUBE_PROXY_FLAGS: psStringArray(proxyFlags),
    FLANNEL_VNI: psInt(vni),
    FLANNEL_PORT: psInt(FLANNEL_PORT),
    CONTAINERD_CONFIG: psString(
      target.runtime === 'containerd'
        ? containerdConfigToml({
            configVersion: containerdConfigVersion(runtimeVersion),
            cniBinKey: containerdCniBinKey(runtimeVersion),
            sandboxImage: sandbox,
            hypervIsolation: target.hypervIsolation,
            hypervHandler: HYPERV_RUNTIME_HANDLER,
          })
        : '',
    ),
    FLANNEL_NET_CONF: psString(target.cni === 'flannel' ? flannelNetConf(flannel) : ''),
    FLANNEL_CNI_CONF: psString(target.cni === 'flannel' ? flannelCniConf(flannel) : ''),
    HTTP_PROXY: psString(req.proxy.http ?? ''),
    HTTPS_PROXY: psString(req.proxy.https ?? req.proxy.http ?? ''),
    NO_PROXY: psStringArray(req.proxy.http || req.proxy.https ? noProxyList(req) : []),
    ARTIFACTS: `@(\n${artifacts.map((a) => `    ${artifactLiteral(a)}`).join(',\n')}\n)`,
    BOOTSTRAP_TOKEN: psString(req.mode === 'provision' ? '' : req.token),
    PHASES: psStringArray(req.mode === 'provision' ? [...PROVISION_PHASES] : [...JOIN_PHASES]),
  };

  const parts = templateFiles(target, Boolean(req.proxy.http || req.proxy.https)).map((file) => {
    const text = readTemplate(file);
    if (!file.endsWith('00-header.ps1')) return stripComments(text);
    // The header keeps its <# #> block for whoever reads the script on the node.
    const end = text.indexOf('#>') + 2;
    return `${text.slice(0, end)}\n${stripComments(text.slice(end))}`;
  });
  // Substitute over the whole script at once so every value must be used somewhere.
  const script = substitute(parts.join(''), values);
  return {
    script,
    findings: verdict.findings,
    target: {
      nodeName: req.nodeName,
      windowsVersion: target.windowsVersion,
      windowsBuild: release.buildLabel,
      kubernetesVersion: target.kubernetesVersion,
      runtime: target.runtime,
      runtimeVersion,
      cni: target.cni,
      criSocket: socket,
      sandboxImage: sandbox,
      hypervIsolation: target.hypervIsolation,
      apiServer: req.apiServer,
      serviceCidr: req.serviceCidr,
      clusterCidr: req.clusterCidr,
      kubeletFlags: kubelet,
      artifacts: artifacts.map((a) => ({ name: a.name, version: a.version, url: a.url, checksum: a.checksum.kind })),
    },
  };
}

