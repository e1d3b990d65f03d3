import { compareVersions, k8sMinor } from './versions.js';
import type { RuntimeName } from './matrix.js';
import { WINDOWS_RELEASES, type WindowsVersion } from './windows.js';

/**
 * containerd release matched to each Kubernetes minor: the newest patch of a containerd line
 * that containerd's RELEASES.md "Kubernetes Support" table lists for that minor (read 2026-11).
 * 1.20-1.31: 1.7 (serves CRI v1 and v1alpha2); 1.32-1.34: 2.0 LTS; 1.35: 2.2; 1.36+: 2.3 LTS.
 */
export function defaultContainerdVersion(kubernetesVersion: string): string {
  const minor = k8sMinor(kubernetesVersion);
  if (minor <= 31) return '1.7.33';
  if (minor <= 34) return '2.0.10';
  if (minor === 35) return '2.2.5';
  return '2.3.4';
}

/** containerd 2.x reads config version 3 (new plugin ids); 1.x reads version 2. Source: containerd docs/cri/config.md. */
export function containerdConfigVersion(containerdVersion: string): 2 | 3 {
  return compareVersions(containerdVersion, '2.0.0') >= 0 ? 3 : 2;
}

/**
 * Docker CE static binaries for Windows. Docker publishes no checksum for these zips, so the
 * user must pin one (--checksum docker=<sha256>). 20.10 is the last line dockershim (<1.24) was
 * validated with; later clusters use a current Docker through cri-dockerd.
 * Source: download.docker.com/win/static/stable/x86_64/; kubernetes CHANGELOG-1.23 (validated Docker versions).
 */
export function defaultDockerVersion(kubernetesVersion: string): string {
  return k8sMinor(kubernetesVersion) < 24 ? '20.10.24' : '29.2.1';
}

/**
 * cri-dockerd (Mirantis) release for Docker on Kubernetes 1.24+: the newest tag (v0.4.3,
 * 2026-04-28; there is no v0.4.4). Its Windows asset is cri-dockerd-<V>.win.amd64.zip holding
 * cri-dockerd\cri-dockerd.exe (packaging/static/Makefile, cross-win).
 */
export const CRI_DOCKERD_VERSION = '0.4.3';

/**
 * The CNI bin folder key of containerd's CRI plugin: `bin_dir` (a string) up to 2.0, `bin_dirs`
 * (a list) from 2.1 (containerd 71f593d4a, released in v2.1.0; `bin_dir` deprecated then).
 * containerd only warns about a key it does not know, so the wrong one silently leaves the CNI
 * plugins in the default folder and pods fail with "failed to find plugin".
 */
export function containerdCniBinKey(containerdVersion: string): 'bin_dir' | 'bin_dirs' {
  return compareVersions(containerdVersion, '2.1.0') >= 0 ? 'bin_dirs' : 'bin_dir';
}

/**
 * The CRI endpoint crictl talks to. Before 1.24 Docker nodes run the kubelet's built-in
 * dockershim, which serves CRI on npipe:////./pipe/dockershim; Docker's own pipe speaks the
 * Docker API, not CRI.
 */
export function crictlEndpoint(runtime: RuntimeName, kubernetesVersion: string): string {
  if (runtime === 'docker' && k8sMinor(kubernetesVersion) < 24) return 'npipe:////./pipe/dockershim';
  return criSocket(runtime, kubernetesVersion);
}

/** The CRI endpoint kubelet and kubeadm use, per runtime. Sources: kubeadm docs "container runtimes"; kubernetes/website#31309. */
export function criSocket(runtime: RuntimeName, kubernetesVersion: string): string {
  if (runtime === 'containerd') return 'npipe:////./pipe/containerd-containerd';
  // Before 1.24 kubelet talked to Docker through the built-in dockershim.
  return k8sMinor(kubernetesVersion) < 24 ? 'npipe:////./pipe/docker_engine' : 'npipe:////./pipe/cri-dockerd';
}

/** The sandbox (pause) image of a Windows release: its row in WINDOWS_RELEASES says which and why. */
export function sandboxImage(windowsVersion: WindowsVersion): string {
  return WINDOWS_RELEASES[windowsVersion].sandbox.image;
}

/** The containerd runtime handler for Hyper-V isolated pods (containerd internal/cri/config/config_windows.go). */
export const HYPERV_RUNTIME_HANDLER = 'runhcs-wcow-hypervisor';
