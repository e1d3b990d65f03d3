import { createHash } from 'node:crypto';
import { tgz, zip, type Entries } from './archives.js';

/**
 * What the upstream projects publish, written from their release definitions (release
 * workflows and Makefiles at the tag) — not from win-k8s's code, so a URL, an asset name or a
 * checksum format that win-k8s gets wrong fails the download as it would on the real host.
 * The binaries themselves are small stand-ins whose first line names the program and version;
 * the checksum files are computed over them in the upstream's format.
 */
export interface ReleaseFile {
  url: string;
  body: Buffer;
  contentType?: string;
}

const sha = (algo: 'sha256' | 'sha512', body: Buffer) => createHash(algo).update(body).digest('hex');

/** A stand-in Windows executable: the simulator's fakes read the first line. */
export function fakeExe(program: string, version: string): Buffer {
  return Buffer.from(`fake ${program} v${version} windows/amd64\n${'MZ'.padEnd(64, '\0')}`);
}

/** A checksum file in one of the formats upstream projects use. */
type ChecksumFormat =
  | 'hash' // the hex digest alone and a newline (dl.k8s.io)
  | 'hash-name'; // "<digest>  <asset name>" as sha256sum prints it

function checksumFile(format: ChecksumFormat, digest: string, assetName: string): Buffer {
  return Buffer.from(format === 'hash' ? `${digest}\n` : `${digest}  ${assetName}\n`);
}

function asset(url: string, body: Buffer, checksums: { ext: string; algo: 'sha256' | 'sha512'; format: ChecksumFormat }[]): ReleaseFile[] {
  const name = url.slice(url.lastIndexOf('/') + 1);
  return [{ url, body }, ...checksums.map((c) => ({ url: `${url}${c.ext}`, body: checksumFile(c.format, sha(c.algo, body), name), contentType: 'text/plain' }))];
}

/**
 * GitHub's release API: each asset carries `digest: "sha256:<hex>"` (recorded for assets
 * uploaded since June 2025). Projects that publish no checksum file are verified through it.
 */
function githubRelease(repo: string, tag: string, assets: ReleaseFile[]): ReleaseFile {
  const doc = {
    tag_name: tag,
    assets: assets.map((a) => ({ name: a.url.slice(a.url.lastIndexOf('/') + 1), browser_download_url: a.url, digest: `sha256:${sha('sha256', a.body)}` })),
  };
  return { url: `https://api.github.com/repos/${repo}/releases/tags/${tag}`, body: Buffer.from(JSON.stringify(doc)), contentType: 'application/json' };
}

/** Kubernetes: dl.k8s.io/release/v<V>/bin/windows/amd64/<name>.exe with .sha256 and .sha512 holding the digest alone. */
function kubernetes(version: string): ReleaseFile[] {
  const names = ['kubelet', 'kubeadm', 'kube-proxy', 'kubectl'];
  // kube-log-runner is in the Windows node binaries from 1.23 (kubernetes/kubernetes#106123).
  if (Number(version.split('.')[1]) >= 23) names.push('kube-log-runner');
  return names.flatMap((n) =>
    asset(`https://dl.k8s.io/release/v${version}/bin/windows/amd64/${n}.exe`, fakeExe(n, version), [
      { ext: '.sha256', algo: 'sha256', format: 'hash' },
      { ext: '.sha512', algo: 'sha512', format: 'hash' },
    ]),
  );
}

/**
 * containerd: containerd-<V>-windows-amd64.tar.gz with everything under bin/ (Makefile
 * pack_release, Makefile.windows), and <asset>.sha256sum as sha256sum prints it (Makefile release).
 */
function containerd(version: string): ReleaseFile[] {
  const files: Entries = {
    'bin/containerd.exe': fakeExe('containerd', version),
    'bin/ctr.exe': fakeExe('ctr', version),
    'bin/containerd-stress.exe': fakeExe('containerd-stress', version),
    'bin/containerd-shim-runhcs-v1.exe': fakeExe('containerd-shim-runhcs-v1', version),
  };
  const name = `containerd-${version}-windows-amd64.tar.gz`;
  return asset(`https://github.com/containerd/containerd/releases/download/v${version}/${name}`, tgz(files), [{ ext: '.sha256sum', algo: 'sha256', format: 'hash-name' }]);
}

/** cri-tools: crictl-v<V>-windows-amd64.tar.gz with crictl.exe at the root, .sha256 holding the digest alone. */
function crictl(version: string): ReleaseFile[] {
  const name = `crictl-v${version}-windows-amd64.tar.gz`;
  return asset(`https://github.com/kubernetes-sigs/cri-tools/releases/download/v${version}/${name}`, tgz({ 'crictl.exe': fakeExe('crictl', version) }), [
    { ext: '.sha256', algo: 'sha256', format: 'hash' },
  ]);
}

/**
 * containernetworking/plugins: cni-plugins-windows-amd64-v<V>.tgz (./<plugin>.exe, README.md and
 * LICENSE at the root) with .sha256 and .sha512 as sha*sum prints them (.github/workflows/release.yaml).
 */
function cniPlugins(version: string): ReleaseFile[] {
  const plugins = ['host-local', 'win-bridge', 'win-overlay'];
  const entries: Entries = Object.fromEntries(plugins.map((p) => [`./${p}.exe`, fakeExe(p, version)]));
  entries['./README.md'] = '# plugins\n';
  entries['./LICENSE'] = 'Apache-2.0\n';
  const name = `cni-plugins-windows-amd64-v${version}.tgz`;
  return asset(`https://github.com/containernetworking/plugins/releases/download/v${version}/${name}`, tgz(entries), [
    { ext: '.sha256', algo: 'sha256', format: 'hash-name' },
    { ext: '.sha512', algo: 'sha512', format: 'hash-name' },
  ]);
}

/**
 * flannel-io/cni-plugin: from v1.9.0-flannel1, scripts/version.sh keeps the first six characters
 * of the tag, so the tag v1.9.1-flannel1 publishes cni-plugin-flannel-windows-amd64-v1.9.1.tgz
 * (flannel-amd64.exe at its root) with .sha1/.sha256/.sha512 as sha*sum prints them.
 */
function flannelCni(tag: string, assetVersion: string): ReleaseFile[] {
  const name = `cni-plugin-flannel-windows-amd64-${assetVersion}.tgz`;
  return asset(`https://github.com/flannel-io/cni-plugin/releases/download/${tag}/${name}`, tgz({ 'flannel-amd64.exe': fakeExe('flannel', assetVersion) }), [
    { ext: '.sha256', algo: 'sha256', format: 'hash-name' },
    { ext: '.sha512', algo: 'sha512', format: 'hash-name' },
  ]);
}

/** flannel: flanneld.exe as a bare release asset, no checksum file (GitHub's digest only). */
function flannel(version: string): ReleaseFile[] {
  const exe: ReleaseFile = { url: `https://github.com/flannel-io/flannel/releases/download/v${version}/flanneld.exe`, body: fakeExe('flanneld', version) };
  return [exe, githubRelease('flannel-io/flannel', `v${version}`, [exe])];
}

/**
 * microsoft/windows-container-networking v0.3.1: the zip (sdnoverlay.exe, sdnbridge.exe, nat.exe
 * at its root: the Makefile zips with -j) is published as
 * windows-container-networking-cni-amd64-v0.3.1.zip since it was renamed and replaced on
 * 2025-02-24 (issues #112, #115). The .sha512 the v0.3.1 pipeline wrote names the file before the
 * rename and a file that was replaced, so no checksum file for it is served here.
 */
function windowsCni(): ReleaseFile[] {
  const entries: Entries = { 'sdnoverlay.exe': fakeExe('sdnoverlay', '0.3.1'), 'sdnbridge.exe': fakeExe('sdnbridge', '0.3.1'), 'nat.exe': fakeExe('nat', '0.3.1') };
  return [{ url: 'https://github.com/microsoft/windows-container-networking/releases/download/v0.3.1/windows-container-networking-cni-amd64-v0.3.1.zip', body: zip(entries) }];
}

/** Docker's static Windows zips (docker\dockerd.exe, docker\docker.exe); Docker publishes no checksum. */
function docker(version: string): ReleaseFile[] {
  const body = zip({ 'docker/dockerd.exe': fakeExe('dockerd', version), 'docker/docker.exe': fakeExe('docker', version) });
  return [{ url: `https://download.docker.com/win/static/stable/x86_64/docker-${version}.zip`, body }];
}

/** Mirantis/cri-dockerd: cri-dockerd-<V>.win.amd64.zip holding cri-dockerd\cri-dockerd.exe; no checksum file. */
function criDockerd(version: string): ReleaseFile[] {
  const file: ReleaseFile = {
    url: `https://github.com/Mirantis/cri-dockerd/releases/download/v${version}/cri-dockerd-${version}.win.amd64.zip`,
    body: zip({ 'cri-dockerd/cri-dockerd.exe': fakeExe('cri-dockerd', version) }),
  };
  return [file, githubRelease('Mirantis/cri-dockerd', `v${version}`, [file])];
}

/** Every release the simulated download hosts carry for one node's versions. */
export function RELEASES(v: { kubernetes: string; containerd?: string; crictl: string; docker?: string }): ReleaseFile[][] {
  const out: ReleaseFile[][] = [kubernetes(v.kubernetes), crictl(v.crictl), cniPlugins('1.9.1'), flannel('0.28.9'), flannelCni('v1.9.1-flannel1', 'v1.9.1'), windowsCni()];
  if (v.containerd) out.push(containerd(v.containerd));
  // cri-dockerd's newest tags (v0.4.3 is the newest; there is no v0.4.4).
  if (v.docker) out.push(docker(v.docker), criDockerd('0.4.2'), criDockerd('0.4.3'));
  return out;
}
