import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Command, CommanderError } from 'commander';
import {
  ADMIN_TOKEN,
  FakeKubeApiServer,
  aksLike,
  healthyKubeadmFlannel,
  flannelLinuxDefaults,
  makeEndpointSlice,
  makeNode,
  makePod,
  writeKubeconfigFor,
  type FakeClusterFixture,
  type RequestLogEntry,
} from '../fakes/kube-apiserver/index.js';
import { globalOptions } from '../../src/config/options.js';
import { addOptions } from '../../src/cli/options.js';
import { makeRunner } from '../../src/cli/run.js';
import { register } from '../../src/cli/commands/diagnose.js';
import type { DiagnoseDocument, CheckResult } from '../../src/diagnose/types.js';
import { selectChecks } from '../../src/diagnose/registry.js';

import { DS_OWNER, diag, healthy, putHealthyWindowsNode, runDiagnose, tpl, withFake } from '../helpers/diagnose.js';
import { elements, parseXml, textOf } from '../helpers/xml.js';

/** The --junit-file output read by a strict XML reader: one testsuites root holding one testsuite. */
function readJUnit(file: string) {
  const root = parseXml(readFileSync(file, 'utf8'));
  assert.equal(root.name, 'testsuites');
  const suites = elements(root, 'testsuite');
  assert.equal(suites.length, 1);
  const suite = suites[0]!;
  assert.equal(suite.attributes['name'], 'win-k8s diagnose');
  assert.equal(root.attributes['tests'], suite.attributes['tests']);
  assert.equal(root.attributes['failures'], suite.attributes['failures']);
  const cases = elements(suite, 'testcase');
  assert.equal(elements(suite).length, cases.length, 'a testsuite holds only testcases');
  return { suite, cases };
}

describe('diagnose (API checks against the fake kube-apiserver)', function () {
  this.timeout(60_000);

  it('passes on a healthy cluster with one Windows node: JSON contract, exit 0', async () => {
    await withFake(healthy(), async (fake, kc) => {
      putHealthyWindowsNode(fake, 'win-1', { octet: 21 });
      const r = await diag(kc);
      assert.equal(r.code, 0, r.stdout);
      for (const c of r.doc.checks) {
        assert.ok(['pass', 'warn', 'fail', 'skip'].includes(c.status));
        assert.equal(typeof c.id, 'string');
        assert.equal(typeof c.category, 'string');
        assert.equal(typeof c.title, 'string');
        assert.equal(typeof c.message, 'string');
      }
      assert.equal(r.doc.summary.fail, 0, JSON.stringify(r.doc.checks.filter((c) => c.status !== 'pass'), null, 1));
      assert.equal(r.doc.summary.pass + r.doc.summary.warn + r.doc.summary.fail + r.doc.summary.skip, r.doc.checks.length);
      for (const id of ['cluster.windows-nodes', 'cluster.linux-daemonsets', 'net.coredns', 'net.flannel-config']) assert.equal(r.check(id).status, 'pass', id);
      for (const id of ['node.ready', 'node.windows-build', 'node.version-skew', 'node.runtime', 'node.kubelet-reachable', 'net.kube-proxy', 'net.cni', 'net.pod-cidr', 'events.sandbox']) assert.equal(r.check(id, 'win-1').status, 'pass', id);
    });
  });

  it('no Windows node: the fatal check fails and skips its dependents, exit 1', async () => {
    await withFake(healthy(), async (_fake, kc) => {
      const r = await diag(kc);
      assert.equal(r.code, 1);
      assert.equal(r.check('cluster.windows-nodes').status, 'fail');
      assert.match(r.check('cluster.windows-nodes').hint ?? '', /win-k8s join/);
      for (const id of ['node.ready', 'cluster.linux-daemonsets', 'net.flannel-config']) {
        assert.equal(r.check(id).status, 'skip', id);
        assert.match(r.check(id).message, /cluster\.windows-nodes failed/);
      }
      // CoreDNS does not depend on Windows nodes.
      assert.equal(r.check('net.coredns').status, 'pass');
    });
  });

  it('node.ready fails on NotReady and on DiskPressure', async () => {
    await withFake(healthy(), async (fake, kc) => {
      putHealthyWindowsNode(fake, 'win-1', { octet: 21 });
      fake.store.put(makeNode({ name: 'win-2', os: 'windows', internalIP: '10.0.2.22', podCIDR: '10.244.22.0/24', ready: false }));
      const pressured = makeNode({ name: 'win-3', os: 'windows', internalIP: '10.0.2.23', podCIDR: '10.244.23.0/24' }) as { status: { conditions: Array<{ type: string; status: string }> } };
      pressured.status.conditions.find((c) => c.type === 'DiskPressure')!.status = 'True';
      fake.store.put(pressured as never);
      const r = await diag(kc, ['--checks', 'node.ready']);
      assert.equal(r.check('node.ready', 'win-1').status, 'pass');
      assert.equal(r.check('node.ready', 'win-2').status, 'fail');
      assert.match(r.check('node.ready', 'win-2').message, /Ready=Unknown/);
      assert.match(r.check('node.ready', 'win-3').message, /DiskPressure=True/);
      assert.match(r.check('node.ready', 'win-3').hint ?? '', /kubelet/);
    });
  });

  it('node.windows-build: 2016 and a missing label fail, 2019 passes', async () => {
    await withFake(healthy(), async (fake, kc) => {
      putHealthyWindowsNode(fake, 'win-2016', { octet: 21, build: '10.0.14393' });
      putHealthyWindowsNode(fake, 'win-2019', { octet: 22, build: '10.0.17763' });
      const unlabelled = makeNode({ name: 'win-nolabel', os: 'windows', internalIP: '10.0.2.23' }) as { metadata: { labels: Record<string, string> } };
      delete unlabelled.metadata.labels['node.kubernetes.io/windows-build'];
      fake.store.put(unlabelled as never);
      const r = await diag(kc, ['--checks', 'node.windows-build']);
      assert.equal(r.check('node.windows-build', 'win-2016').status, 'fail');
      assert.match(r.check('node.windows-build', 'win-2016').hint ?? '', /10\.0\.20348/);
      assert.equal(r.check('node.windows-build', 'win-2019').status, 'pass');
      assert.match(r.check('node.windows-build', 'win-2019').message, /ltsc2019/);
      assert.match(r.check('node.windows-build', 'win-nolabel').message, /missing/);
    });
  });

  it('node.version-skew: newer kubelet fails, 4 minors older fails, 3 older passes', async () => {
    await withFake(healthy(), async (fake, kc) => {
      putHealthyWindowsNode(fake, 'win-new', { octet: 21, kubelet: 'v1.34.0' });
      putHealthyWindowsNode(fake, 'win-old4', { octet: 22, kubelet: 'v1.29.9' });
      putHealthyWindowsNode(fake, 'win-old3', { octet: 23, kubelet: 'v1.30.4' });
      const r = await diag(kc, ['--checks', 'node.version-skew']);
      assert.equal(r.check('node.version-skew', 'win-new').status, 'fail');
      assert.match(r.check('node.version-skew', 'win-new').message, /newer than the API server/);
      assert.equal(r.check('node.version-skew', 'win-old4').status, 'fail');
      assert.match(r.check('node.version-skew', 'win-old4').hint ?? '', /at most 3 minors older/);
      assert.equal(r.check('node.version-skew', 'win-old3').status, 'pass');
    });
  });

  it("node.version-skew reads kube-proxy's version from its pod's image, not the kubelet-filled nodeInfo.kubeProxyVersion", async () => {
    await withFake(healthy(), async (fake, kc) => {
      const proxyPod = (node: string, octet: number, image: string) =>
        makePod({ namespace: 'kube-system', name: `kube-proxy-windows-${node}`, nodeName: node, hostIP: `10.0.2.${octet}`, template: { ...tpl('kube-proxy', image), hostNetwork: true }, owner: DS_OWNER('kube-proxy-windows') });
      // The kubelet is current and reports kubeProxyVersion v1.33.2, but the DaemonSet runs a 1.29 kube-proxy: four minors behind.
      putHealthyWindowsNode(fake, 'win-old-proxy', { octet: 21 });
      fake.store.put(proxyPod('win-old-proxy', 21, 'sigwindowstools/kube-proxy:v1.29.15-calico-hostprocess'));
      // Three minors behind the API server: the oldest the policy allows.
      putHealthyWindowsNode(fake, 'win-3-behind', { octet: 22 });
      fake.store.put(proxyPod('win-3-behind', 22, 'registry.k8s.io/kube-proxy:v1.30.14'));
      // Newer than the API server, in an image behind a registry with a port and a digest.
      putHealthyWindowsNode(fake, 'win-new-proxy', { octet: 23 });
      fake.store.put(proxyPod('win-new-proxy', 23, 'myreg.example:5000/mirror/kube-proxy:v1.34.1-flannel-hostprocess@sha256:0123456789abcdef'));
      // kube-proxy runs as a service: only the deprecated field is left.
      putHealthyWindowsNode(fake, 'win-service', { octet: 24, kubelet: 'v1.29.9' });
      fake.store.remove('Pod', 'kube-system', 'kube-proxy-windows-win-service');
      const r = await diag(kc, ['--checks', 'node.version-skew']);

      const old = r.check('node.version-skew', 'win-old-proxy');
      assert.equal(old.status, 'fail', old.message);
      assert.match(old.message, /kube-proxy \(kube-proxy-windows-win-old-proxy image sigwindowstools\/kube-proxy:v1\.29\.15-calico-hostprocess\) v1\.29\.15 is 4 minors older than the API server/);
      assert.doesNotMatch(old.message, /kubelet/);
      assert.match(old.hint ?? '', /image tag/);

      const three = r.check('node.version-skew', 'win-3-behind');
      assert.equal(three.status, 'pass', three.message);
      assert.match(three.message, /kube-proxy \(kube-proxy-windows-win-3-behind image registry\.k8s\.io\/kube-proxy:v1\.30\.14\) v1\.30\.14/);

      const newer = r.check('node.version-skew', 'win-new-proxy');
      assert.equal(newer.status, 'fail', newer.message);
      assert.match(newer.message, /v1\.34\.1 is newer than the API server/);

      const service = r.check('node.version-skew', 'win-service');
      assert.equal(service.status, 'fail');
      assert.match(service.message, /kube-proxy v1\.29\.9 is 4 minors older.*deprecated nodeInfo\.kubeProxyVersion/);
    });
  });

  it('node.runtime: containerd 1.6 warns (exit 1 only with --fail-on warn), docker via cri-dockerd passes, unknown fails', async () => {
    await withFake(healthy(), async (fake, kc) => {
      putHealthyWindowsNode(fake, 'win-c16', { octet: 21, runtime: 'containerd://1.6.28' });
      putHealthyWindowsNode(fake, 'win-docker', { octet: 22, runtime: 'docker://24.0.7' });
      let r = await diag(kc, ['--checks', 'node.runtime']);
      assert.equal(r.check('node.runtime', 'win-c16').status, 'warn');
      assert.match(r.check('node.runtime', 'win-c16').hint ?? '', /1\.7/);
      assert.equal(r.check('node.runtime', 'win-docker').status, 'pass');
      assert.match(r.check('node.runtime', 'win-docker').message, /cri-dockerd/);
      assert.equal(r.code, 0);
      r = await diag(kc, ['--checks', 'node.runtime', '--fail-on', 'warn']);
      assert.equal(r.code, 1);
      putHealthyWindowsNode(fake, 'win-odd', { octet: 23, runtime: 'unknown' });
      r = await diag(kc, ['--checks', 'node.runtime', '--node', 'win-odd']);
      assert.equal(r.check('node.runtime', 'win-odd').status, 'fail');
      assert.equal(r.code, 1);
    });
  });

  it('node.runtime fails for Docker under a 1.24+ kubelet on a NotReady node (dockershim removed, no cri-dockerd)', async () => {
    await withFake(healthy(), async (fake, kc) => {
      fake.store.put(makeNode({ name: 'win-shim', os: 'windows', internalIP: '10.0.2.25', podCIDR: '10.244.25.0/24', kubeletVersion: 'v1.31.4', containerRuntimeVersion: 'docker://20.10.24', ready: false }));
      putHealthyWindowsNode(fake, 'win-cri-dockerd', { octet: 26, kubelet: 'v1.31.4', runtime: 'docker://20.10.24' });
      const r = await diag(kc, ['--checks', 'node.runtime']);
      const c = r.check('node.runtime', 'win-shim');
      assert.equal(c.status, 'fail', c.message);
      assert.match(c.message, /docker:\/\/20\.10\.24 with kubelet v1\.31\.4 and the node is not Ready/);
      assert.match(c.hint ?? '', /install cri-dockerd and point the kubelet at npipe:\/\/\/\/\.\/pipe\/cri-dockerd/);
      // The same runtime and kubelet on a Ready node: cri-dockerd must be serving it.
      assert.equal(r.check('node.runtime', 'win-cri-dockerd').status, 'pass');
      assert.equal(r.code, 1);
    });
  });

  it('net.kube-proxy and net.cni fail when their pods are missing or crash-looping', async () => {
    await withFake(healthy(), async (fake, kc) => {
      putHealthyWindowsNode(fake, 'win-1', { octet: 21 });
      fake.store.put(makeNode({ name: 'win-bare', os: 'windows', internalIP: '10.0.2.22', podCIDR: '10.244.22.0/24' }));
      fake.store.put(makePod({ namespace: 'kube-flannel', name: 'kube-flannel-ds-windows-bare', nodeName: 'win-bare', hostIP: '10.0.2.22', phase: 'Pending', template: { ...tpl('flannel', 'sigwindowstools/flannel:v0.26'), hostNetwork: true }, owner: DS_OWNER('kube-flannel-ds-windows') }));
      const r = await diag(kc, ['--checks', 'net.kube-proxy,net.cni']);
      assert.equal(r.check('net.kube-proxy', 'win-1').status, 'pass');
      assert.equal(r.check('net.cni', 'win-1').status, 'pass');
      assert.equal(r.check('net.kube-proxy', 'win-bare').status, 'fail');
      assert.match(r.check('net.kube-proxy', 'win-bare').hint ?? '', /kube-proxy DaemonSet/);
      assert.equal(r.check('net.cni', 'win-bare').status, 'fail');
      assert.match(r.check('net.cni', 'win-bare').message, /ContainerCreating/);
    });
  });

  it('net.cni and net.kube-proxy skip alike with a CNI win-k8s does not recognise (AKS)', async () => {
    await withFake(aksLike(), async (fake, kc) => {
      fake.store.put(makeNode({ name: 'akswin000000', os: 'windows', internalIP: '10.224.0.33', kubeletVersion: 'v1.32.6' }));
      const r = await diag(kc, ['--checks', 'cluster.windows-nodes,net.cni,net.kube-proxy']);
      const cni = r.check('net.cni', 'akswin000000');
      assert.equal(cni.status, 'skip', cni.message);
      assert.match(cni.message, /CNI not recognised/);
      assert.equal(r.check('net.kube-proxy', 'akswin000000').status, 'skip');
      assert.equal(r.code, 0);
    });
  });

  it('net.cni and net.kube-proxy warn, naming both, when one DaemonSet has two pods on a node', async () => {
    await withFake(healthy(), async (fake, kc) => {
      putHealthyWindowsNode(fake, 'win-1', { octet: 21 });
      putHealthyWindowsNode(fake, 'win-2', { octet: 22 });
      const ds = (ns: string, name: string, node: string, octet: number, owner: string, image: string) =>
        makePod({ namespace: ns, name, nodeName: node, hostIP: `10.0.2.${octet}`, template: { ...tpl(owner, image), hostNetwork: true }, owner: DS_OWNER(owner) });
      fake.store.put(ds('kube-flannel', 'kube-flannel-ds-windows-x7k2p', 'win-1', 21, 'kube-flannel-ds-windows', 'sigwindowstools/flannel:v0.26'));
      fake.store.put(ds('kube-system', 'kube-proxy-windows-q9z4t', 'win-1', 21, 'kube-proxy-windows', 'sigwindowstools/kube-proxy:v1.33.2'));
      // On win-2 the second pod is being deleted: a rolling update, not a duplicate.
      const leaving = ds('kube-system', 'kube-proxy-windows-old22', 'win-2', 22, 'kube-proxy-windows', 'sigwindowstools/kube-proxy:v1.32.7') as { metadata: Record<string, unknown> };
      leaving.metadata['deletionTimestamp'] = new Date().toISOString();
      fake.store.put(leaving as never);
      const r = await diag(kc, ['--checks', 'net.cni,net.kube-proxy']);
      const cni = r.check('net.cni', 'win-1');
      assert.equal(cni.status, 'warn', cni.message);
      assert.match(cni.message, /DaemonSet kube-flannel\/kube-flannel-ds-windows has 2 pods on the node: .*kube-flannel-ds-windows-win-1/);
      assert.match(cni.message, /kube-flannel-ds-windows-x7k2p/);
      const proxy = r.check('net.kube-proxy', 'win-1');
      assert.equal(proxy.status, 'warn', proxy.message);
      assert.match(proxy.message, /DaemonSet kube-system\/kube-proxy-windows has 2 pods on the node/);
      for (const name of ['kube-proxy-windows-win-1', 'kube-proxy-windows-q9z4t']) assert.ok(proxy.message.includes(name), name);
      assert.match(proxy.hint ?? '', /delete the extra pod/);
      assert.equal(r.check('net.cni', 'win-2').status, 'pass');
      assert.equal(r.check('net.kube-proxy', 'win-2').status, 'pass', r.check('net.kube-proxy', 'win-2').message);
    });
  });

  it('cluster.linux-daemonsets fails on a Linux-only DaemonSet pod stuck on a Windows node', async () => {
    await withFake(healthy(), async (fake, kc) => {
      putHealthyWindowsNode(fake, 'win-1', { octet: 21 });
      let r = await diag(kc, ['--checks', 'cluster.*']);
      assert.equal(r.check('cluster.linux-daemonsets').status, 'pass');
      fake.store.put(makePod({ namespace: 'monitoring', name: 'node-exporter-win', nodeName: 'win-1', hostIP: '10.0.2.21', phase: 'Pending', template: tpl('node-exporter', 'quay.io/prometheus/node-exporter:v1.9.1'), owner: DS_OWNER('node-exporter') }));
      fake.store.put({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: 'node-exporter-win.1', namespace: 'monitoring' },
        involvedObject: { kind: 'Pod', name: 'node-exporter-win', namespace: 'monitoring' },
        reason: 'Failed',
        type: 'Warning',
        message: 'Failed to pull image "quay.io/prometheus/node-exporter:v1.9.1": no matching manifest for windows/amd64 10.0.20348 in the manifest list entries',
        source: { component: 'kubelet', host: 'win-1' },
      });
      r = await diag(kc, ['--checks', 'cluster.*']);
      const c = r.check('cluster.linux-daemonsets');
      assert.equal(c.status, 'fail');
      assert.match(c.hint ?? '', /nodeSelector kubernetes\.io\/os: linux/);
      assert.match((c.evidence ?? []).join('\n'), /monitoring\/node-exporter-win \(DaemonSet node-exporter\) on win-1: ContainerCreating, no matching manifest/);
    });
  });

  it('net.coredns fails without ready kube-dns endpoints', async () => {
    await withFake(healthy(), async (fake, kc) => {
      putHealthyWindowsNode(fake, 'win-1', { octet: 21 });
      for (const s of fake.store.list('EndpointSlice', { namespace: 'kube-system' })) {
        const meta = (s as { metadata: { name: string; labels?: Record<string, string> } }).metadata;
        if (meta.labels?.['kubernetes.io/service-name'] === 'kube-dns') fake.store.remove('EndpointSlice', 'kube-system', meta.name);
      }
      const slice = makeEndpointSlice({ namespace: 'kube-system', service: 'kube-dns', addresses: [{ ip: '10.244.0.5' }], ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }) as { endpoints: Array<{ conditions: { ready: boolean } }> };
      slice.endpoints[0]!.conditions.ready = false;
      fake.store.put(slice as never);
      const r = await diag(kc, ['--checks', 'net.coredns']);
      assert.equal(r.check('net.coredns').status, 'fail');
      assert.match(r.check('net.coredns').hint ?? '', /CoreDNS/);
      assert.equal(r.code, 1);
    });
  });

  it('net.pod-cidr fails for a pod on the default nat network', async () => {
    await withFake(healthy(), async (fake, kc) => {
      putHealthyWindowsNode(fake, 'win-1', { octet: 21 });
      fake.store.put(makePod({ namespace: 'default', name: 'nat-pod', nodeName: 'win-1', hostIP: '10.0.2.21', podIP: '172.27.16.5', template: tpl('web', 'mcr.microsoft.com/windows/nanoserver:ltsc2022') }));
      const r = await diag(kc, ['--checks', 'net.pod-cidr']);
      const c = r.check('net.pod-cidr', 'win-1');
      assert.equal(c.status, 'fail');
      assert.deepEqual(c.evidence, ['default/nat-pod 172.27.16.5']);
      assert.match(c.hint ?? '', /nat/);
    });
  });

  it('events.sandbox maps each known FailedCreatePodSandBox message to its fix', async () => {
    const cases: Array<[string, RegExp]> = [
      ['hcs::CreateComputeSystem: The container operating system does not match the host operating system.', /RuntimeClass/],
      ['failed to setup network for sandbox: hnsCall failed in Win32: The object already exists', /restart the hns service/],
      ['plugin type="win-overlay" failed (add): failed to allocate for range 0: no IP addresses available in range set', /stale/],
      ['pod does not have label vpc.amazonaws.com/PrivateIPv4Address', /enable-windows-ipam/],
    ];
    await withFake(healthy(), async (fake, kc) => {
      putHealthyWindowsNode(fake, 'win-1', { octet: 21 });
      let r = await diag(kc, ['--checks', 'events.*']);
      assert.equal(r.check('events.sandbox', 'win-1').status, 'pass');
      for (const [i, [message, hint]] of cases.entries()) {
        fake.store.put({ apiVersion: 'v1', kind: 'Event', metadata: { name: `web-win-1.sb${i}`, namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'web-win-1', namespace: 'default' }, reason: 'FailedCreatePodSandBox', type: 'Warning', message: `Failed to create pod sandbox: rpc error: ${message}`, source: { component: 'kubelet', host: 'win-1' } });
        r = await diag(kc, ['--checks', 'events.*']);
        const c = r.check('events.sandbox', 'win-1');
        assert.equal(c.status, 'fail');
        assert.match(c.hint ?? '', hint, message);
        fake.store.remove('Event', 'default', `web-win-1.sb${i}`);
      }
      // Three hours old: history, not the node's state.
      const old = new Date(Date.now() - 3 * 3600_000).toISOString();
      fake.store.put({ apiVersion: 'v1', kind: 'Event', metadata: { name: 'web-win-1.old', namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'web-win-1', namespace: 'default' }, reason: 'FailedCreatePodSandBox', type: 'Warning', message: `Failed to create pod sandbox: rpc error: ${cases[1]![0]}`, source: { component: 'kubelet', host: 'win-1' }, firstTimestamp: old, lastTimestamp: old });
      r = await diag(kc, ['--checks', 'events.*']);
      assert.equal(r.check('events.sandbox', 'win-1').status, 'pass');
      assert.match(r.check('events.sandbox', 'win-1').message, /last 60 minutes/);
    });
  });

  it('net.flannel-config fails on the Linux VXLAN defaults (VNI 1, port 8472)', async () => {
    await withFake(flannelLinuxDefaults(), async (fake, kc) => {
      putHealthyWindowsNode(fake, 'win-1', { octet: 21 });
      const r = await diag(kc, ['--checks', 'net.flannel-config']);
      const c = r.check('net.flannel-config');
      assert.equal(c.status, 'fail');
      assert.match(c.message, /VNI .*< 4096/);
      assert.match(c.hint ?? '', /"VNI": 4096, "Port": 4789/);
    });
  });

  it('node.kubelet-reachable fails with the port-10250 hint when the API server cannot reach a kubelet', async () => {
    await withFake(
      healthy(),
      async (fake, kc) => {
        putHealthyWindowsNode(fake, 'win-1', { octet: 21 });
        putHealthyWindowsNode(fake, 'win-2', { octet: 22 });
        const r = await diag(kc, ['--checks', 'node.kubelet-reachable']);
        assert.equal(r.code, 1);
        assert.equal(r.check('node.kubelet-reachable', 'win-1').status, 'pass');
        const down = r.check('node.kubelet-reachable', 'win-2');
        assert.equal(down.status, 'fail');
        assert.match(down.message, /dial tcp 10\.0\.2\.22:10250: i\/o timeout/);
        assert.match(down.hint ?? '', /allow TCP 10250/);
        assert.ok(fake.requests.some((q) => q.path === '/api/v1/nodes/win-2/proxy/healthz'), 'asked through the node proxy');
      },
      { nodes: (n) => n !== 'win-2' },
    );
  });

  it('--checks include/exclude and --node / --pool filters', async () => {
    await withFake(healthy(), async (fake, kc) => {
      putHealthyWindowsNode(fake, 'win-1', { octet: 21, pool: 'a' });
      putHealthyWindowsNode(fake, 'win-2', { octet: 22, pool: 'b' });
      let r = await diag(kc, ['--checks', 'node.*,!node.version-skew,!node.kubelet-*']);
      const ids = new Set(r.doc.checks.map((c) => c.id));
      for (const id of ['node.ready', 'node.runtime', 'node.windows-build']) assert.ok(ids.has(id), id);
      for (const id of ['node.version-skew', 'node.kubelet-reachable', 'cluster.windows-nodes']) assert.ok(!ids.has(id), id);
      assert.ok([...ids].every((id) => id.startsWith('node.')));
      r = await diag(kc, ['--checks', 'node.ready', '--node', 'win-2']);
      assert.deepEqual(r.doc.checks.map((c) => c.node), ['win-2']);
      r = await diag(kc, ['--checks', 'node.ready', '--pool', 'a']);
      assert.deepEqual(r.doc.checks.map((c) => c.node), ['win-1']);
      const bad = await runDiagnose(['--kubeconfig', kc, '--checks', 'nope.*']);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /no check matches "nope\.\*"/);
      assert.equal((await runDiagnose(['--kubeconfig', kc, '--fail-on', 'maybe'])).code, 2);
      // The same options from WIN_K8S_* variables (the README's promise), and errors name the variable.
      const fromEnv = await runDiagnose(['--kubeconfig', kc, '-o', 'json'], { env: { WIN_K8S_CHECKS: 'node.ready', WIN_K8S_NODE: 'win-2' } });
      assert.deepEqual((JSON.parse(fromEnv.stdout) as { checks: { id: string; node?: string }[] }).checks.map((c) => `${c.id} ${c.node}`), ['node.ready win-2']);
      const badEnv = await runDiagnose(['--kubeconfig', kc], { env: { WIN_K8S_FAIL_ON: 'maybe' } });
      assert.equal(badEnv.code, 2);
      assert.match(badEnv.stderr, /WIN_K8S_FAIL_ON: expected warn or fail, got "maybe"/);
      const flagWins = await runDiagnose(['--kubeconfig', kc, '--checks', 'node.ready', '--fail-on', 'fail'], { env: { WIN_K8S_FAIL_ON: 'maybe' } });
      assert.notEqual(flagWins.code, 2, 'the flag wins over the variable');
    });
  });

  it('human output groups by category with marks, hints and totals; --junit-file parses back', async () => {
    await withFake(healthy(), async (fake, kc) => {
      putHealthyWindowsNode(fake, 'win-1', { octet: 21, build: '10.0.14393' });
      const junit = join(mkdtempSync(join(tmpdir(), 'win-k8s-diag-')), 'report.xml');
      const r = await runDiagnose(['--kubeconfig', kc, '--junit-file', junit, '--skip-probes', '--skip-node-checks']);
      assert.equal(r.code, 1);
      assert.match(r.stdout, /^node$/m);
      assert.match(r.stdout, /^network$/m);
      const title = (id: string) => selectChecks(id).selected[0]!.title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      // Checks by title, with the id beside it for --checks.
      assert.match(r.stdout, new RegExp(`✖ ${title('node.windows-build')} \\[win-1\\]: Windows Server 2016.* \\(node\\.windows-build\\)$`, 'm'));
      assert.match(r.stdout, new RegExp(`✔ ${title('node.ready')} \\[win-1\\]: .*\\(node\\.ready\\)$`, 'm'));
      // The recap at the end: what failed, its hint and its docs link.
      assert.match(r.stdout, /^To look at\n {2}✖ .* \[win-1\] \(node\.windows-build\)\n {6}hint: reinstall with.*\n {6}docs: https:\/\/\S+$/m);
      assert.match(r.stdout, /\d+ passed, \d+ warnings?, 1 failed, \d+ skipped\s*$/);
      const { suite, cases } = readJUnit(junit);
      // -v lists every check, skipped ones included: the same checks as JUnit, one line each.
      const verbose = await runDiagnose(['--kubeconfig', kc, '-v', '--skip-probes', '--skip-node-checks']);
      const listed = verbose.stdout.split('\nTo look at\n')[0]!;
      assert.equal(cases.length, [...listed.matchAll(/^ {2}[✔!✖-] .* \([a-z0-9.-]+\)$/gm)].length);
      // Without -v a category's skipped checks are one line naming the reasons.
      const skippedLines = [...r.stdout.matchAll(/^ {2}- (\d+) checks? skipped: .*\(-v lists them\)$/gm)];
      assert.ok(skippedLines.length > 0);
      assert.equal(skippedLines.reduce((n, m) => n + Number(m[1]), 0), Number(suite.attributes['skipped']));
      assert.doesNotMatch(r.stdout, /^ {2}- .* \([a-z0-9.-]+\)$/m);
      assert.equal(Number(suite.attributes['tests']), cases.length);
      const failures = cases.filter((c) => elements(c, 'failure').length > 0);
      assert.equal(Number(suite.attributes['failures']), failures.length);
      assert.deepEqual(failures.map((c) => c.attributes['name']), ['node.windows-build [win-1]']);
      assert.match(textOf(elements(failures[0]!, 'failure')[0]!), /hint: reinstall with/);
      const skipped = cases.filter((c) => elements(c, 'skipped').length > 0);
      assert.equal(Number(suite.attributes['skipped']), skipped.length);
      const coredns = cases.find((c) => c.attributes['name'] === 'net.coredns');
      assert.ok(coredns && coredns.children.length === 0, 'a passed check has no child element');
      // One testcase per check and node, named by both.
      assert.ok(cases.some((c) => c.attributes['name'] === 'node.ready [win-1]' && c.attributes['classname'] === 'win-k8s.diagnose.node'));
      assert.equal(new Set(cases.map((c) => c.attributes['name'])).size, cases.length);
    });
  });

  it('--junit-file with --fail-on warn reports a warning as a <failure>', async () => {
    await withFake(healthy(), async (fake, kc) => {
      putHealthyWindowsNode(fake, 'win-1', { octet: 21, runtime: 'containerd://1.6.28' });
      putHealthyWindowsNode(fake, 'win-2', { octet: 22 });
      const dir = mkdtempSync(join(tmpdir(), 'win-k8s-diag-'));
      const args = ['--kubeconfig', kc, '--skip-probes', '--skip-node-checks', '--checks', 'node.runtime'];
      const plain = await runDiagnose([...args, '--junit-file', join(dir, 'plain.xml')]);
      assert.equal(plain.code, 0);
      let { suite, cases } = readJUnit(join(dir, 'plain.xml'));
      assert.equal(suite.attributes['failures'], '0');
      assert.equal(elements(cases.find((c) => c.attributes['name'] === 'node.runtime [win-1]')!, 'system-out').length, 1);
      const strict = await runDiagnose([...args, '--fail-on', 'warn', '--junit-file', join(dir, 'strict.xml')]);
      assert.equal(strict.code, 1);
      ({ suite, cases } = readJUnit(join(dir, 'strict.xml')));
      assert.equal(suite.attributes['failures'], '1');
      const failed = cases.filter((c) => elements(c, 'failure').length > 0);
      assert.deepEqual(failed.map((c) => c.attributes['name']), ['node.runtime [win-1]']);
      assert.equal(elements(failed[0]!, 'failure')[0]!.attributes['type'], 'warn');
      assert.deepEqual(cases.filter((c) => c.children.length === 0).map((c) => c.attributes['name']), ['node.runtime [win-2]']);
    });
  });

  it('--junit-file is written 0600 over an existing wider file; a bad path exits 2 before the cluster is read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'win-k8s-diag-'));
    const junit = join(dir, 'report.xml');
    writeFileSync(junit, 'old', { mode: 0o644 });
    chmodSync(junit, 0o644);
    await withFake(healthy(), async (fake, kc) => {
      putHealthyWindowsNode(fake, 'win-1', { octet: 21 });
      const r = await runDiagnose(['--kubeconfig', kc, '--junit-file', junit, '--skip-probes', '--skip-node-checks', '--checks', 'node.ready']);
      assert.equal(r.code, 0, r.stderr);
    });
    assert.equal(statSync(junit).mode & 0o777, 0o600);
    readJUnit(junit);
    // 'nowhere' as kubeconfig: reaching the cluster would exit 3, so exit 2 shows the path was checked first.
    const missing = await runDiagnose(['--kubeconfig', 'nowhere', '--junit-file', join(dir, 'no-such-dir', 'x.xml')]);
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /--junit-file: the directory of .*no-such-dir.* does not exist/);
    const onDir = await runDiagnose(['--kubeconfig', 'nowhere', '--junit-file', dir]);
    assert.equal(onDir.code, 2, onDir.stderr);
    assert.match(onDir.stderr, /--junit-file: .* is a directory/);
  });

  it('exit 3 when the cluster is unreachable', async () => {
    let kc = '';
    await withFake(healthy(), async (_fake, k) => {
      kc = k;
    });
    const r = await runDiagnose(['--kubeconfig', kc, '-o', 'json']);
    assert.equal(r.code, 3, r.stderr);
  });

  it('--wait re-runs a failing check until the state is fixed', async () => {
    await withFake(healthy(), async (fake, kc) => {
      putHealthyWindowsNode(fake, 'win-1', { octet: 21 });
      fake.store.remove('Pod', 'kube-system', 'kube-proxy-windows-win-1');
      // Fixed once the first round has listed the pods (not after a fixed delay, which a loaded
      // machine can outrun): that round fails, a later one passes.
      let fixed = false;
      const fix = (e: RequestLogEntry) => {
        if (fixed || e.resource !== 'pods' || e.verb !== 'list') return;
        fixed = true;
        fake.store.put(makePod({ namespace: 'kube-system', name: 'kube-proxy-windows-win-1', nodeName: 'win-1', hostIP: '10.0.2.21', template: { ...tpl('kube-proxy', 'sigwindowstools/kube-proxy:v1.33.2'), hostNetwork: true }, owner: DS_OWNER('kube-proxy-windows') }));
      };
      fake.on('request', fix);
      try {
        const started = Date.now();
        const r = await diag(kc, ['--checks', 'net.*', '--wait', '20s']);
        assert.equal(r.check('net.kube-proxy', 'win-1').status, 'pass');
        assert.equal(r.code, 0);
        assert.ok(Date.now() - started < 15_000);
        assert.match(r.stderr, /check\(s\) failing; waiting/);
      } finally {
        fake.off('request', fix);
      }
    });
  });
});

describe('diagnose check selection', () => {
  it('matches globs and exclusions against stable ids', () => {
    assert.deepEqual(selectChecks('net.c*').selected.map((c) => c.id), ['net.cni', 'net.coredns']);
    assert.ok(!selectChecks('!events.*').selected.some((c) => c.id === 'events.sandbox'));
    assert.deepEqual(selectChecks('bogus').unknown, ['bogus']);
  });
});
