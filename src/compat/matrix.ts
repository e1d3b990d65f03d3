import { compareVersions, k8sMinor } from './versions.js';
import { DEFAULT_WINDOWS_VERSION, kubernetesSupportedReleases, listVersions, WINDOWS_RELEASES, type WindowsRelease, type WindowsVersion } from './windows.js';

/**
 * The compatibility matrix: Windows Server x Kubernetes minor x runtime x CNI (x containerd
 * version, x Hyper-V isolation). Each rule names its source; `kind` says whether it is a fact
 * about Kubernetes upstream support or a limit of win-k8s's own bootstrap.
 */
export type RuntimeName = 'containerd' | 'docker';
export type CniName = 'flannel' | 'calico' | 'none';

export interface Target {
  windowsVersion: WindowsVersion;
  kubernetesVersion: string;
  runtime: RuntimeName;
  cni: CniName;
  hypervIsolation: boolean;
  containerdVersion?: string | undefined;
}

export type Severity = 'error' | 'warning' | 'info';

export interface Finding {
  rule: string;
  severity: Severity;
  message: string;
  /** What to choose instead (errors and warnings). */
  instead?: string;
  source: string;
  /**
   * false: --allow-unsupported cannot override this error, because the script win-k8s would
   * render is known to fail on the node (not merely untested upstream).
   */
  overridable?: boolean;
}

/** The newest Kubernetes minor this matrix was checked against (1.37, released 2026-08). */
export const NEWEST_KNOWN_MINOR = 37;
/** Upstream supports the three newest minors (kubernetes.io/releases/patch-releases). */
export const SUPPORTED_MINOR_WINDOW = 3;

interface Rule {
  id: string;
  source: string;
  check(t: Target, minor: number): Omit<Finding, 'rule' | 'source'> | undefined;
}

const releases = (): WindowsRelease[] => Object.values(WINDOWS_RELEASES);

/** A release whose support ended (kubernetes.until): refused on later minors. */
function supportEndedRules(): Rule[] {
  const oldestSupported = kubernetesSupportedReleases()[0];
  return releases().flatMap((r) => {
    const { from, until } = r.kubernetes;
    if (!until) return [];
    return [{
      id: `windows-${r.version}-kubernetes`,
      source: until.source,
      check: (t, minor) =>
        t.windowsVersion === r.version && minor > until.minor
          ? {
              severity: 'error',
              message: `Windows Server ${r.version} nodes were supported only by Kubernetes 1.${from.minor}-1.${until.minor}; ${t.kubernetesVersion} needs Windows Server ${oldestSupported?.version ?? 'a newer release'} or newer`,
              instead: until.instead,
            }
          : undefined,
    } satisfies Rule];
  });
}

/**
 * containerd on Windows requires Windows Server 2019 (RS5) or newer; older releases run Docker only.
 * Source: kubernetes/kubernetes#69823; containerd docs/getting-started.md (Windows).
 */
function dockerOnlyRules(): Rule[] {
  const firstContainerd = releases().find((r) => r.containerd);
  return releases().flatMap((r) => {
    if (r.containerd) return [];
    return [{
      id: `windows-${r.version}-runtime`,
      source: 'https://github.com/kubernetes/kubernetes/issues/69823',
      check: (t) =>
        t.windowsVersion === r.version && t.runtime !== 'docker'
          ? { severity: 'error', message: `Windows Server ${r.version} can run Kubernetes only with Docker; containerd needs Windows Server ${firstContainerd?.version ?? 'a newer release'} or newer`, instead: `--runtime docker, or --windows-version ${DEFAULT_WINDOWS_VERSION}` }
          : undefined,
    } satisfies Rule];
  });
}

/**
 * The oldest supported release's first minor is when Windows nodes became production-ready
 * (1.14, with Windows Server 2019): every supported release needs it. Newer releases get a
 * rule of their own where their first minor is later.
 */
function kubernetesMinimumRules(): Rule[] {
  const supported = kubernetesSupportedReleases();
  const oldest = supported[0];
  if (!oldest) return [];
  const ga = oldest.kubernetes.from;
  const gaRule: Rule = {
    id: `windows-${oldest.version}-minimum`,
    source: ga.source,
    check: (t, minor) =>
      WINDOWS_RELEASES[t.windowsVersion].kubernetes.until === undefined && minor < ga.minor
        ? { severity: 'error', message: `Kubernetes ${t.kubernetesVersion} predates production Windows support (1.${ga.minor})`, instead: ga.instead }
        : undefined,
  };
  const later = supported.filter((r) => r.kubernetes.from.minor > ga.minor).map((r): Rule => {
    const from = r.kubernetes.from;
    return {
      id: `windows-${r.version}-minimum`,
      source: from.source,
      check: (t, minor) =>
        t.windowsVersion === r.version && minor < from.minor
          ? { severity: 'error', message: `Windows Server ${r.version} nodes need Kubernetes 1.${from.minor} or newer; the cluster is ${t.kubernetesVersion}`, instead: from.instead }
          : undefined,
    };
  });
  return [gaRule, ...later];
}

/** Releases Kubernetes stopped listing: they still work with the binaries, but are no longer tested. */
function unlistedRules(): Rule[] {
  const listedAt = (minor: number) =>
    kubernetesSupportedReleases()
      .filter((r) => r.kubernetes.from.minor <= minor && !(r.kubernetes.unlistedFrom && minor >= r.kubernetes.unlistedFrom.minor))
      .map((r) => r.version);
  return releases().flatMap((r) => {
    const unlisted = r.kubernetes.unlistedFrom;
    if (!unlisted) return [];
    return [{
      id: `windows-${r.version}-untested`,
      source: unlisted.source,
      check: (t, minor) =>
        t.windowsVersion === r.version && minor >= unlisted.minor
          ? { severity: 'warning', message: `Kubernetes ${t.kubernetesVersion} no longer lists Windows Server ${r.version} as supported (${listVersions(listedAt(minor), 'and')} only)`, instead: unlisted.instead }
          : undefined,
    } satisfies Rule];
  });
}

const RULES: Rule[] = [
  {
    // No Kubernetes version lets win-k8s's bootstrap work on Windows Server 2016: it joins with
    // kubeadm, which supports Windows nodes from 1.16 (and its v1beta2 config from 1.15), while
    // 2016 nodes were supported only up to 1.13; build 14393 has no tar.exe (crictl and the CNI
    // plugins ship as .tar.gz); flannel's VXLAN backend needs the HNS of Windows Server 2019
    // (hcn.RemoteSubnetSupported). So not even --allow-unsupported renders a script for it.
    id: 'windows-2016-bootstrap',
    source: 'https://github.com/kubernetes/enhancements/tree/master/keps/sig-windows/1150-kubeadm-windows',
    check: (t) =>
      t.windowsVersion === '2016'
        ? {
            severity: 'error',
            overridable: false,
            message:
              'win-k8s cannot bootstrap Windows Server 2016: it joins with kubeadm, which supports Windows nodes from Kubernetes 1.16, while 2016 nodes were supported only up to 1.13; build 14393 also lacks tar.exe and the HNS overlay flannel needs',
            instead: '--windows-version 2022 (or 2019, 2025)',
          }
        : undefined,
  },
  ...supportEndedRules(),
  ...dockerOnlyRules(),
  {
    // VXLAN overlay (flannel vxlan, Calico VXLAN) needs the HNS overlay of Windows Server 2019 (1809).
    // Source: flannel-io/flannel Documentation/backends.md (vxlan on Windows); docs.tigera.io windows-calico/requirements.
    id: 'windows-2016-cni',
    source: 'https://github.com/flannel-io/flannel/blob/master/Documentation/backends.md',
    check: (t) =>
      t.windowsVersion === '2016' && t.cni !== 'none'
        ? { severity: 'error', message: `${t.cni} on Windows needs the VXLAN overlay of Windows Server 2019 or newer`, instead: '--cni none, or --windows-version 2022' }
        : undefined,
  },
  ...kubernetesMinimumRules(),
  ...unlistedRules(),
  {
    // kubeadm join on Windows arrived in 1.16 (KEP-1150 "kubeadm for Windows"); earlier
    // releases need hand-made kubelet credentials, which win-k8s does not render.
    id: 'bootstrap-kubeadm-windows',
    source: 'https://github.com/kubernetes/enhancements/tree/master/keps/sig-windows/1150-kubeadm-windows',
    check: (t, minor) =>
      minor < 16
        ? { severity: 'error', message: `win-k8s joins with kubeadm, which supports Windows nodes from Kubernetes 1.16; ${t.kubernetesVersion} is older`, instead: 'a Kubernetes version >= 1.16' }
        : undefined,
  },
  {
    // containerd became a stable Windows runtime with Kubernetes 1.20.
    // Source: kubernetes CHANGELOG-1.20 ("containerd support for Windows ... stable").
    id: 'containerd-minimum-kubernetes',
    source: 'https://github.com/kubernetes/kubernetes/blob/master/CHANGELOG/CHANGELOG-1.20.md',
    check: (t, minor) =>
      t.runtime === 'containerd' && minor < 20
        ? { severity: 'error', message: `containerd on Windows is supported from Kubernetes 1.20; ${t.kubernetesVersion} needs Docker`, instead: '--runtime docker' }
        : undefined,
  },
  {
    // containerd RELEASES.md "Kubernetes Support": 1.36 lists only containerd 2.2+ and 2.3+.
    id: 'containerd-1x-dropped',
    source: 'https://github.com/containerd/containerd/blob/main/RELEASES.md#kubernetes-support',
    check: (t, minor) =>
      t.runtime === 'containerd' && t.containerdVersion && minor >= 36 && compareVersions(t.containerdVersion, '2.0.0') < 0
        ? { severity: 'error', message: `containerd ${t.containerdVersion} is not supported with Kubernetes 1.36+ (containerd 1.x support ended with 1.35)`, instead: 'leave --containerd-version unset (2.3.x), or 2.2+' }
        : undefined,
  },
  {
    // HostProcess containers need containerd 1.6+; containerd 1.6 reached end of life 2025-08-23.
    // Source: containerd RELEASES.md; kubernetes.io docs/tasks/configure-pod-container/create-hostprocess-pod.
    id: 'containerd-minimum-version',
    source: 'https://github.com/containerd/containerd/blob/main/RELEASES.md',
    check: (t) => {
      if (t.runtime !== 'containerd' || !t.containerdVersion) return undefined;
      if (compareVersions(t.containerdVersion, '1.6.0') < 0) {
        return { severity: 'error', message: `containerd ${t.containerdVersion} is too old for Windows nodes (HostProcess pods need 1.6+)`, instead: 'leave --containerd-version unset, or 1.7+' };
      }
      if (compareVersions(t.containerdVersion, '1.7.0') < 0) {
        return { severity: 'warning', message: `containerd ${t.containerdVersion} is end of life; Kubernetes on Windows expects containerd 1.7+`, instead: 'leave --containerd-version unset' };
      }
      return undefined;
    },
  },
  {
    // dockershim was removed in 1.24; Docker Engine then needs cri-dockerd.
    // Source: kubernetes.io/blog/2022/02/17/dockershim-faq; kubernetes/website#31309 (npipe:////./pipe/cri-dockerd).
    id: 'docker-cri-dockerd',
    source: 'https://kubernetes.io/blog/2022/02/17/dockershim-faq/',
    check: (t, minor) =>
      t.runtime === 'docker' && minor >= 24
        ? { severity: 'info', message: 'Docker on Kubernetes 1.24+ runs through cri-dockerd (installed by the script)' }
        : undefined,
  },
  {
    // Calico for Windows is installed by the Tigera operator as HostProcess DaemonSets, which
    // Docker cannot run. Source: docs.tigera.io calico/latest/getting-started/kubernetes/windows-calico/requirements.
    id: 'calico-needs-containerd',
    source: 'https://docs.tigera.io/calico/latest/getting-started/kubernetes/windows-calico/requirements',
    check: (t) =>
      t.cni === 'calico' && t.runtime !== 'containerd'
        ? { severity: 'error', message: 'Calico for Windows runs as HostProcess containers, which Docker cannot run', instead: '--runtime containerd' }
        : undefined,
  },
  {
    // HostProcess containers are GA from 1.26 (KEP-1981).
    id: 'calico-needs-hostprocess',
    source: 'https://github.com/kubernetes/enhancements/tree/master/keps/sig-windows/1981-windows-privileged-container-support',
    check: (t, minor) =>
      t.cni === 'calico' && minor < 26
        ? { severity: 'error', message: `operator-managed Calico for Windows needs HostProcess containers, GA in Kubernetes 1.26; the cluster is ${t.kubernetesVersion}`, instead: '--cni flannel, or upgrade the cluster' }
        : undefined,
  },
  {
    // Hyper-V isolation is a containerd runtime handler (runhcs-wcow-hypervisor); Docker has no
    // CRI handler for it, and Kubernetes itself supports process isolation only.
    // Source: kubernetes.io docs/concepts/windows/intro ("Hyper-V isolation ... not supported"), containerd docs/cri/config.md.
    id: 'hyperv-needs-containerd',
    source: 'https://kubernetes.io/docs/concepts/windows/intro/',
    check: (t) =>
      t.hypervIsolation && t.runtime !== 'containerd'
        ? { severity: 'error', message: 'Hyper-V isolated pods need containerd (runtime handler runhcs-wcow-hypervisor)', instead: '--runtime containerd, or drop --hyperv-isolation' }
        : undefined,
  },
  {
    id: 'hyperv-experimental',
    source: 'https://kubernetes.io/docs/concepts/windows/intro/',
    check: (t) =>
      t.hypervIsolation && t.runtime === 'containerd'
        ? { severity: 'warning', message: 'Hyper-V isolation is outside Kubernetes\' supported Windows features (process isolation only); it needs nested virtualization on cloud VMs' }
        : undefined,
  },
  {
    id: 'kubernetes-newer-than-known',
    source: 'https://kubernetes.io/releases/',
    check: (t, minor) =>
      minor > NEWEST_KNOWN_MINOR
        ? { severity: 'warning', message: `Kubernetes ${t.kubernetesVersion} is newer than the newest minor win-k8s knows (1.${NEWEST_KNOWN_MINOR}); flags are chosen as for 1.${NEWEST_KNOWN_MINOR}` }
        : undefined,
  },
  {
    id: 'kubernetes-end-of-life',
    source: 'https://kubernetes.io/releases/patch-releases/',
    check: (t, minor) =>
      minor <= NEWEST_KNOWN_MINOR - SUPPORTED_MINOR_WINDOW && minor >= 14
        ? { severity: 'warning', message: `Kubernetes ${t.kubernetesVersion} is out of upstream support (supported: 1.${NEWEST_KNOWN_MINOR - SUPPORTED_MINOR_WINDOW + 1}-1.${NEWEST_KNOWN_MINOR})` }
        : undefined,
  },
];

export interface Verdict {
  supported: boolean;
  findings: Finding[];
}

/**
 * The error findings a command must refuse (exit 2): all of them without --allow-unsupported,
 * and with it those it cannot override. render, plan and join share this, so one combination
 * gets one answer whichever command is asked.
 */
export function refusedFindings(findings: readonly Finding[], allowUnsupported: boolean): Finding[] {
  return findings.filter((f) => f.severity === 'error' && (!allowUnsupported || f.overridable === false));
}

export function evaluate(target: Target): Verdict {
  const minor = k8sMinor(target.kubernetesVersion);
  const findings: Finding[] = [];
  for (const rule of RULES) {
    const f = rule.check(target, minor);
    if (f) findings.push({ rule: rule.id, source: rule.source, ...f });
  }
  return { supported: !findings.some((f) => f.severity === 'error'), findings };
}

/** Rule ids, for tests that walk the matrix row by row. */
export const RULE_IDS: readonly string[] = RULES.map((r) => r.id);
