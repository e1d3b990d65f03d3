/**
 * Windows Server LTSC releases Kubernetes can run on, with the build number that container
 * images must match under process isolation.
 * Source: learn.microsoft.com virtualization/windowscontainers/deploy-containers/version-compatibility
 * (ltsc2019 = 10.0.17763, ltsc2022 = 10.0.20348, ltsc2025 = 10.0.26100); kubernetes.io
 * docs/concepts/windows/user-guide (OS build to node label node.kubernetes.io/windows-build).
 */
export type WindowsVersion = '2016' | '2019' | '2022' | '2025';

export interface WindowsRelease {
  version: WindowsVersion;
  build: number;
  /** The value of node.kubernetes.io/windows-build on such a node. */
  buildLabel: string;
  /** The tag suffix of matching Microsoft base images (servercore:ltsc2022 ...). */
  imageTag: string;
  /** containerd runs on it (2016 runs Docker only): RuntimeClasses are made for these. */
  containerd: boolean;
  /** What `init` calls it. */
  label: string;
}

export const WINDOWS_RELEASES: Record<WindowsVersion, WindowsRelease> = {
  '2016': { version: '2016', build: 14393, buildLabel: '10.0.14393', imageTag: 'ltsc2016', containerd: false, label: 'Windows Server 2016 (LTSC, Docker only)' },
  '2019': { version: '2019', build: 17763, buildLabel: '10.0.17763', imageTag: 'ltsc2019', containerd: true, label: 'Windows Server 2019 (LTSC, older clusters)' },
  '2022': { version: '2022', build: 20348, buildLabel: '10.0.20348', imageTag: 'ltsc2022', containerd: true, label: 'Windows Server 2022 (LTSC)' },
  '2025': { version: '2025', build: 26100, buildLabel: '10.0.26100', imageTag: 'ltsc2025', containerd: true, label: 'Windows Server 2025 (LTSC, Kubernetes 1.35+)' },
};

/** Every version the table knows, oldest first: flag choices and the config schema come from it. */
export const WINDOWS_VERSIONS = Object.keys(WINDOWS_RELEASES) as [WindowsVersion, ...WindowsVersion[]];

export function windowsReleaseForBuild(build: number): WindowsRelease | undefined {
  return Object.values(WINDOWS_RELEASES).find((r) => r.build === build);
}
