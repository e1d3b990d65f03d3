import { k8sMinor } from './versions.js';
import { CRI_DOCKERD_VERSION } from './runtime.js';

/**
 * Every file the bootstrap downloads, pinned to a version, with where its SHA-256 comes from.
 * The script refuses to use a file whose hash it cannot verify.
 *   sidecar: a SHA-256 file the project publishes next to the asset: the digest alone, or
 *            "<digest>  <name>" as sha256sum prints it;
 *   github:  the SHA-256 digest GitHub records for a release asset (api.github.com), for
 *            projects that publish no checksum file (flannel, cri-dockerd);
 *   pinned:  a SHA-256 the project ships (for an asset with no trustworthy checksum file) or the
 *            user supplies with --checksum <name>=<sha256> (required for Docker's static zips).
 *            A --checksum always wins.
 */
export type ChecksumSource =
  | { kind: 'sidecar'; url: string }
  | { kind: 'github'; repo: string; tag: string; asset: string }
  | { kind: 'pinned'; sha256: string }
  | { kind: 'missing'; why: string };

export interface Artifact {
  /** Stable name used by --checksum and in logs, e.g. `kubelet`. */
  name: string;
  version: string;
  url: string;
  /** File name on disk after download. */
  fileName: string;
  checksum: ChecksumSource;
}

export const FLANNEL_VERSION = '0.28.9';
export const CNI_PLUGINS_VERSION = '1.9.1';
export const WINDOWS_CNI_VERSION = '0.3.1';
/**
 * The SHA-256 of windows-container-networking-cni-amd64-v0.3.1.zip as published since
 * 2025-02-24. Its release has no checksum file that matches: the .sha512 the v0.3.1 pipeline
 * wrote names the file before it was renamed (microsoft/windows-container-networking#112) and
 * the asset was replaced after that (#115, which records this digest), before GitHub recorded
 * asset digests. So the project ships the digest, as kops does for its assets; a further
 * replacement upstream then fails the download loudly instead of installing an unknown file.
 */
export const WINDOWS_CNI_SHA256 = '4f36ee6905ada238ca2a9e1bfb8a1fb2912c2d88c4b6e5af4c41a42db70d7d68';
/** flannel-io/cni-plugin tags carry a -flannelN suffix; the asset name does not. */
export const FLANNEL_CNI_VERSION = '1.9.1';
export const FLANNEL_CNI_TAG = 'v1.9.1-flannel1';

/** Names accepted by --checksum. */
export const ARTIFACT_NAMES = [
  'kubelet',
  'kubeadm',
  'kube-proxy',
  'kube-log-runner',
  'containerd',
  'crictl',
  'docker',
  'cri-dockerd',
  'flanneld',
  'flannel-cni',
  'cni-plugins',
  'windows-cni',
] as const;

const K8S_BASE = 'https://dl.k8s.io/release';

/** kubelet, kubeadm, kube-proxy and kube-log-runner from the official release location, each with its .sha256. */
export function kubernetesArtifacts(kubernetesVersion: string, names: readonly string[]): Artifact[] {
  const v = `v${kubernetesVersion}`;
  return names.map((name) => {
    const url = `${K8S_BASE}/${v}/bin/windows/amd64/${name}.exe`;
    return { name, version: kubernetesVersion, url, fileName: `${name}.exe`, checksum: { kind: 'sidecar', url: `${url}.sha256` } };
  });
}

/** kube-log-runner ships in release archives from 1.23 (kubernetes/kubernetes#106123). */
export function hasKubeLogRunner(kubernetesVersion: string): boolean {
  return k8sMinor(kubernetesVersion) >= 23;
}

/**
 * kube-log-runner rotates its file (-log-file-size, -log-file-age) from 1.34 (component-base
 * daa4054 "Add rotation and clean up for logging", first in kubernetes-1.34.0). Older runners
 * exit on an unknown flag, so the limits are passed only from 1.34.
 */
export function kubeLogRunnerRotates(kubernetesVersion: string): boolean {
  return k8sMinor(kubernetesVersion) >= 34;
}

export function containerdArtifact(version: string): Artifact {
  const file = `containerd-${version}-windows-amd64.tar.gz`;
  const url = `https://github.com/containerd/containerd/releases/download/v${version}/${file}`;
  return { name: 'containerd', version, url, fileName: file, checksum: { kind: 'sidecar', url: `${url}.sha256sum` } };
}

/**
 * The newest cri-tools release known (v1.36.0, 2026-04-24). crictl speaks CRI v1 and works with
 * a newer kubelet's runtime, so a newer Kubernetes minor uses it rather than a guessed tag.
 */
export const NEWEST_CRICTL_MINOR = 36;

/** crictl follows the Kubernetes minor (cri-tools publishes vX.Y.0 per minor). */
export function crictlArtifact(kubernetesVersion: string): Artifact {
  const minor = Math.min(Math.max(k8sMinor(kubernetesVersion), 20), NEWEST_CRICTL_MINOR);
  const version = `1.${minor}.0`;
  const file = `crictl-v${version}-windows-amd64.tar.gz`;
  const url = `https://github.com/kubernetes-sigs/cri-tools/releases/download/v${version}/${file}`;
  return { name: 'crictl', version, url, fileName: file, checksum: { kind: 'sidecar', url: `${url}.sha256` } };
}

export function dockerArtifact(version: string): Artifact {
  const file = `docker-${version}.zip`;
  return {
    name: 'docker',
    version,
    url: `https://download.docker.com/win/static/stable/x86_64/${file}`,
    fileName: file,
    checksum: { kind: 'missing', why: `Docker publishes no checksum for ${file}` },
  };
}

export function criDockerdArtifact(): Artifact {
  const file = `cri-dockerd-${CRI_DOCKERD_VERSION}.win.amd64.zip`;
  const tag = `v${CRI_DOCKERD_VERSION}`;
  return {
    name: 'cri-dockerd',
    version: CRI_DOCKERD_VERSION,
    url: `https://github.com/Mirantis/cri-dockerd/releases/download/${tag}/${file}`,
    fileName: file,
    checksum: { kind: 'github', repo: 'Mirantis/cri-dockerd', tag, asset: file },
  };
}

export function flannelArtifact(): Artifact {
  const tag = `v${FLANNEL_VERSION}`;
  return {
    name: 'flanneld',
    version: FLANNEL_VERSION,
    url: `https://github.com/flannel-io/flannel/releases/download/${tag}/flanneld.exe`,
    fileName: 'flanneld.exe',
    checksum: { kind: 'github', repo: 'flannel-io/flannel', tag, asset: 'flanneld.exe' },
  };
}

/** win-overlay, host-local (source VIP allocation) from containernetworking/plugins. */
export function cniPluginsArtifact(): Artifact {
  const file = `cni-plugins-windows-amd64-v${CNI_PLUGINS_VERSION}.tgz`;
  const url = `https://github.com/containernetworking/plugins/releases/download/v${CNI_PLUGINS_VERSION}/${file}`;
  return { name: 'cni-plugins', version: CNI_PLUGINS_VERSION, url, fileName: file, checksum: { kind: 'sidecar', url: `${url}.sha256` } };
}

/** The flannel CNI plugin (flannel-amd64.exe), which delegates to win-overlay or sdnoverlay. */
export function flannelCniArtifact(): Artifact {
  const file = `cni-plugin-flannel-windows-amd64-v${FLANNEL_CNI_VERSION}.tgz`;
  const url = `https://github.com/flannel-io/cni-plugin/releases/download/${FLANNEL_CNI_TAG}/${file}`;
  return { name: 'flannel-cni', version: FLANNEL_CNI_VERSION, url, fileName: file, checksum: { kind: 'sidecar', url: `${url}.sha256` } };
}

/**
 * sdnoverlay (the overlay plugin containerd uses on Windows) from microsoft/windows-container-networking;
 * the zip holds sdnoverlay.exe, sdnbridge.exe and nat.exe at its root (Makefile: zip -j).
 */
export function windowsCniArtifact(): Artifact {
  const file = `windows-container-networking-cni-amd64-v${WINDOWS_CNI_VERSION}.zip`;
  const url = `https://github.com/microsoft/windows-container-networking/releases/download/v${WINDOWS_CNI_VERSION}/${file}`;
  return { name: 'windows-cni', version: WINDOWS_CNI_VERSION, url, fileName: file, checksum: { kind: 'pinned', sha256: WINDOWS_CNI_SHA256 } };
}

/** Applies --checksum overrides: a user-pinned hash replaces whatever source the artifact had. */
export function applyChecksumOverrides(artifacts: Artifact[], overrides: Record<string, string>): Artifact[] {
  return artifacts.map((a) => (overrides[a.name] ? { ...a, checksum: { kind: 'pinned', sha256: overrides[a.name]!.toLowerCase() } } : a));
}

