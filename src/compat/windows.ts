/**
 * Windows Server LTSC releases Kubernetes can run on: one row per release, and everything that
 * differs by release (flag choices, schema enum, sandbox image, each cloud's image, which
 * Kubernetes minors run it, diagnose's build recognition, RuntimeClasses) reads its column
 * here. Adding a release is one row; a row missing a column fails the type check.
 *
 * Builds: learn.microsoft.com virtualization/windowscontainers/deploy-containers/version-compatibility
 * (ltsc2019 = 10.0.17763, ltsc2022 = 10.0.20348, ltsc2025 = 10.0.26100); kubernetes.io
 * docs/concepts/windows/user-guide (OS build to node label node.kubernetes.io/windows-build).
 */

/** A Kubernetes minor bound on a release, with the page that says so and what to pick instead. */
export interface MinorBound {
  minor: number;
  source: string;
  /** What to choose when the bound refuses (or warns about) the cluster's minor. */
  instead: string;
}

/** Which Kubernetes minors run a release; the matrix (matrix.ts) turns these into its rules. */
export interface KubernetesSupport {
  /** The first minor that supports it. */
  from: MinorBound;
  /** The last minor that supported it, when support has ended (later minors are refused). */
  until?: MinorBound;
  /** From this minor on, Kubernetes no longer lists it as supported (warned, not refused). */
  unlistedFrom?: MinorBound;
}

/**
 * The image win-k8s starts from on each cloud, as plain data (compat does not know the cloud
 * SDKs; each cloud's images.ts reads its own column).
 */
export interface CloudImages {
  /** AWS public SSM parameter under /aws/service/ami-windows-latest/: `<stem>-Full-Base` / `<stem>-Core-Base`. */
  aws: { parameterStem: string };
  /** Azure Marketplace SKUs of MicrosoftWindowsServer:WindowsServer. */
  azure: { full: string; core: string };
  /** Compute Engine families in the windows-cloud project, or why win-k8s offers none. */
  gcp: { full: string; core: string } | { notOffered: string };
}

interface ReleaseRow {
  build: number;
  /** containerd runs on it (2016 runs Docker only): RuntimeClasses are made for these. */
  containerd: boolean;
  /** What `init` calls it. */
  label: string;
  /** Other image tags naming this build besides ltsc<version> (servercore:1809 is ltsc2019). */
  tagAliases: readonly string[];
  /** The sandbox (pause) image its pods need, and the first multi-arch pause that carries its build. */
  sandbox: { image: string; multiArchPauseFrom: string | null };
  kubernetes: KubernetesSupport;
  images: CloudImages;
}

const K8S_1_14_BLOG = 'https://kubernetes.io/blog/2019/03/25/kubernetes-1-14-release-announcement/';

/**
 * Sandbox images: pause 3.10.2 is the first with ltsc2025 (kubernetes/kubernetes#136960,
 * containerd/containerd#13156); 3.10.1 carries ltsc2019 and ltsc2022 (containerd#12085), and
 * the multi-arch pause images carry 2019/2022 from 3.6. Windows Server 2016 predates them and
 * used Microsoft's 1.4.1 build (sig-windows-tools PrepareNode.ps1 of the Docker era).
 * Kubernetes: 1.5-1.13 ran 2016 nodes (alpha/beta, Docker only); 1.14 made Windows GA with
 * 2019 as the minimum; 2022 arrived with 1.23; 2025 was listed for 1.35 (kubernetes/website#53724);
 * since March 2026 the intro page lists only 2022 and 2025 (kubernetes/website#55103).
 * Azure: `az vm image list-skus --publisher MicrosoftWindowsServer --offer WindowsServer`; gen2
 * SKUs where Microsoft publishes them under regular names (2016/2019 gen2 are -gensecond).
 * AWS: the plain Base AMIs (ContainersLatest got no updates after April 2023 and carries Docker EE).
 */
const ROWS = {
  '2016': {
    build: 14393,
    containerd: false,
    label: 'Windows Server 2016 (LTSC, Docker only)',
    tagAliases: [],
    sandbox: { image: 'mcr.microsoft.com/oss/kubernetes/pause:1.4.1', multiArchPauseFrom: null },
    kubernetes: {
      from: { minor: 5, source: K8S_1_14_BLOG, instead: '--windows-version 2022 (or 2025)' },
      until: { minor: 13, source: K8S_1_14_BLOG, instead: '--windows-version 2022 (or 2025)' },
    },
    images: {
      aws: { parameterStem: 'Windows_Server-2016-English' },
      azure: { full: '2016-Datacenter', core: '2016-Datacenter-Server-Core' },
      gcp: { notOffered: 'the compatibility matrix refuses it on every cloud (its bootstrap cannot run there), so no family is kept for it' },
    },
  },
  '2019': {
    build: 17763,
    containerd: true,
    label: 'Windows Server 2019 (LTSC, older clusters)',
    tagAliases: ['1809'],
    sandbox: { image: 'registry.k8s.io/pause:3.10.1', multiArchPauseFrom: '3.6' },
    kubernetes: {
      from: { minor: 14, source: K8S_1_14_BLOG, instead: 'a Kubernetes version >= 1.14 (ideally one of the three newest minors)' },
      unlistedFrom: { minor: 36, source: 'https://github.com/kubernetes/website/pull/55103', instead: '--windows-version 2022 or 2025' },
    },
    images: {
      aws: { parameterStem: 'Windows_Server-2019-English' },
      azure: { full: '2019-Datacenter', core: '2019-Datacenter-Core' },
      gcp: { full: 'windows-2019', core: 'windows-2019-core' },
    },
  },
  '2022': {
    build: 20348,
    containerd: true,
    label: 'Windows Server 2022 (LTSC)',
    tagAliases: [],
    sandbox: { image: 'registry.k8s.io/pause:3.10.1', multiArchPauseFrom: '3.6' },
    kubernetes: {
      from: {
        minor: 23,
        source: 'https://github.com/kubernetes/website/blob/release-1.23/content/en/docs/setup/production-environment/windows/intro-windows-in-kubernetes.md',
        instead: '--windows-version 2019, or upgrade the cluster',
      },
    },
    images: {
      aws: { parameterStem: 'Windows_Server-2022-English' },
      azure: { full: '2022-datacenter-g2', core: '2022-datacenter-core-g2' },
      gcp: { full: 'windows-2022', core: 'windows-2022-core' },
    },
  },
  '2025': {
    build: 26100,
    containerd: true,
    label: 'Windows Server 2025 (LTSC, Kubernetes 1.35+)',
    tagAliases: [],
    sandbox: { image: 'registry.k8s.io/pause:3.10.2', multiArchPauseFrom: '3.10.2' },
    kubernetes: {
      from: { minor: 35, source: 'https://github.com/kubernetes/website/pull/53724', instead: '--windows-version 2022' },
    },
    images: {
      aws: { parameterStem: 'Windows_Server-2025-English' },
      azure: { full: '2025-datacenter-g2', core: '2025-datacenter-core-g2' },
      gcp: { full: 'windows-2025', core: 'windows-2025-core' },
    },
  },
} as const satisfies Record<`${number}`, ReleaseRow>;

export type WindowsVersion = keyof typeof ROWS;

export interface WindowsRelease extends ReleaseRow {
  version: WindowsVersion;
  /** The value of node.kubernetes.io/windows-build on such a node. */
  buildLabel: string;
  /** The tag suffix of matching Microsoft base images (servercore:ltsc2022 ...). */
  imageTag: string;
}

/** Every version the table knows, oldest first: flag choices and the config schema come from it. */
export const WINDOWS_VERSIONS = Object.keys(ROWS) as [WindowsVersion, ...WindowsVersion[]];

export const WINDOWS_RELEASES = Object.fromEntries(
  WINDOWS_VERSIONS.map((version) => {
    const row: ReleaseRow = ROWS[version];
    return [version, { ...row, version, buildLabel: `10.0.${row.build}`, imageTag: `ltsc${version}` }];
  }),
) as Record<WindowsVersion, WindowsRelease>;

/** The release join and the wizard pick when none is asked for. */
export const DEFAULT_WINDOWS_VERSION: WindowsVersion = '2022';

export function windowsReleaseForBuild(build: number): WindowsRelease | undefined {
  return Object.values(WINDOWS_RELEASES).find((r) => r.build === build);
}

/** Releases current Kubernetes still supports (support has not ended: no `until`). */
export function kubernetesSupportedReleases(): WindowsRelease[] {
  return Object.values(WINDOWS_RELEASES).filter((r) => r.kubernetes.until === undefined);
}

/** "a, b or c" */
export function listVersions(versions: readonly string[], conjunction = 'or'): string {
  return versions.length <= 1 ? versions.join('') : `${versions.slice(0, -1).join(', ')} ${conjunction} ${versions.at(-1)}`;
}
