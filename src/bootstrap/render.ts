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
  kubernetesArtifacts,
  windowsCniArtifact,
  type Artifact,
} from '../compat/artifacts.js';
import { kubeletFlags, kubeProxyFlags } from '../compat/flags.js';
import { evaluate, type Finding, type Target } from '../compat/matrix.js';
import { HYPERV_RUNTIME_HANDLER, containerdConfigVersion, criSocket, defaultContainerdVersion, defaultDockerVersion, sandboxImage } from '../compat/runtime.js';
import { k8sMinor } from '../compat/versions.js';
import { WINDOWS_RELEASES } from '../compat/windows.js';
import { UsageErrors } from '../errors.js';
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
export function templateFiles(target: Target): string[] {
  return [
    '00-header.ps1',
    '10-lib.ps1',
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

function artifactLiteral(a: Artifact): string {
  const c = a.checksum;
  const checksum =
    c.kind === 'sidecar'
      ? { Kind: 'sidecar', Url: c.url }
      : c.kind === 'github'
        ? { Kind: 'github', Repo: c.repo, Tag: c.tag, Asset: c.asset }
        : c.kind === 'pinned'
          ? { Kind: 'pinned', Sha256: c.sha256 }
          : { Kind: 'missing' };
  return psTable({ Name: a.name, Version: a.version, Url: a.url, FileName: a.fileName, Checksum: checksum });
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
  if (!verdict.supported && !req.allowUnsupported) {
    const errors = verdict.findings.filter((f) => f.severity === 'error');
    throw new UsageErrors(
      errors.map((f) => `unsupported: ${f.message}${f.instead ? `; choose ${f.instead}` : ''} (${f.source})`),
      'pass --allow-unsupported to render it anyway (nodes may not work)',
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
      ? kubeProxyFlags({ kubernetesVersion: target.kubernetesVersion, nodeName: req.nodeName, clusterCidr: req.clusterCidr, networkName: `flannel.${FLANNEL_VNI}` })
      : [];

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
    CA_CERT_HASH: psString(req.caCertHash),
    CRI_SOCKET: psString(socket),
    SANDBOX_IMAGE: psString(sandbox),
    SERVICE_CIDR: psString(req.serviceCidr),
    CLUSTER_CIDR: psString(req.clusterCidr),
    HYPERV_ISOLATION: psBool(target.hypervIsolation),
    HYPERV_RUNTIME_HANDLER: psString(HYPERV_RUNTIME_HANDLER),
    CONTAINERD_CONFIG_VERSION: psInt(target.runtime === 'containerd' ? containerdConfigVersion(runtimeVersion) : 2),
    KUBEADM_API_VERSION: psString(kubeadmApiVersion(target.kubernetesVersion)),
    USE_KUBE_LOG_RUNNER: psBool(hasKubeLogRunner(target.kubernetesVersion)),
    KUBELET_FLAGS: psStringArray(kubelet),
    KUBE_PROXY_FLAGS: psStringArray(proxyFlags),
    FLANNEL_VNI: psInt(FLANNEL_VNI),
    FLANNEL_PORT: psInt(FLANNEL_PORT),
    HTTP_PROXY: psString(req.proxy.http ?? ''),
    HTTPS_PROXY: psString(req.proxy.https ?? req.proxy.http ?? ''),
    NO_PROXY: psStringArray(req.proxy.http || req.proxy.https ? noProxyList(req) : []),
    ARTIFACTS: `@(\n${artifacts.map((a) => `    ${artifactLiteral(a)}`).join(',\n')}\n)`,
    BOOTSTRAP_TOKEN: psString(req.mode === 'provision' ? '' : req.token),
    PHASES: psStringArray(req.mode === 'provision' ? [...PROVISION_PHASES] : [...JOIN_PHASES]),
  };

  const parts = templateFiles(target).map((file) => {
    const text = readTemplate(file);
    return file.endsWith('00-header.ps1') ? text : stripComments(text);
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

