import assert from 'node:assert/strict';
import type { FakeKubeApiServer, KubeObject } from '../fakes/kube-apiserver/index.js';
import { diag, healthy, putHealthyWindowsNode, withFake } from '../helpers/diagnose.js';
import { probeNetwork, type NetworkScenario } from '../helpers/probe-network.js';
import { parsePowerShell } from '../helpers/powershell.js';
import { readTemplate } from '../../src/bootstrap/templates.js';
import { parseProbeLog } from '../../src/diagnose/probes.js';

const PROBES = ['net.dns.cluster', 'net.dns.tcp', 'net.egress', 'net.pod.from-windows', 'net.pod.from-linux', 'net.service.clusterip', 'net.service.nodeport', 'net.pod.localhost', 'net.udp', 'net.mtu'];
const ONLY_PROBES = ['--checks', 'probe.*,net.dns.*,net.egress,net.pod.*,net.service.*,net.udp,net.mtu,cluster.windows-nodes', '--probe-timeout', '3s'];

const diagnoseNamespaces = (fake: FakeKubeApiServer) => fake.store.list('namespaces').filter((n) => n.metadata?.name?.startsWith('win-k8s-diagnose-'));
const created = (fake: FakeKubeApiServer, kind: 'pods' | 'namespaces') => fake.requests.filter((q) => q.method === 'POST' && q.path.endsWith(`/${kind}`)).length;

async function withNetwork(scenario: NetworkScenario, fn: (fake: FakeKubeApiServer, kc: string) => Promise<void>): Promise<void> {
  await withFake(
    healthy(),
    async (fake, kc) => {
      putHealthyWindowsNode(fake, 'win-1', { octet: 21 });
      putHealthyWindowsNode(fake, 'win-2', { octet: 22, build: '10.0.17763' });
      await fn(fake, kc);
    },
    { run: probeNetwork(scenario) },
  );
}

describe('diagnose in-cluster probes (simulated kubelets and network)', function () {
  this.timeout(60_000);

  it('the probe script parses without errors and its log format is what the reader expects', () => {
    assert.deepEqual(parsePowerShell(readTemplate('diagnose/probe.ps1')), []);
    assert.deepEqual(parsePowerShell(readTemplate('diagnose/probe-server.ps1')), []);
    assert.deepEqual(parseProbeLog('noise\r\nWIN-K8S-PROBE ok short-name 12\r\nWIN-K8S-PROBE fail large curl exit 28 (000)\n'), [
      { ok: true, label: 'short-name', detail: '12' },
      { ok: false, label: 'large', detail: 'curl exit 28 (000)' },
    ]);
  });

  it('healthy network: every probe passes on every Windows node, pods pinned with build-matched images, namespace removed', async () => {
    const seen: KubeObject[] = [];
    let linuxWorkers: string[] = [];
    let nsLabels: Record<string, string> = {};
    await withNetwork({ seen }, async (fake, kc) => {
      linuxWorkers = fake.store.list('nodes').filter((n) => n.metadata?.labels?.['kubernetes.io/os'] === 'linux' && !(n.metadata?.labels ?? {})['node-role.kubernetes.io/control-plane']).map((n) => n.metadata!.name!);
      const onNs = (ev: { type: string; object: KubeObject; resource: { resource: string } }) => {
        if (ev.resource.resource === 'namespaces' && ev.type === 'ADDED' && ev.object.metadata?.name?.startsWith('win-k8s-diagnose-')) nsLabels = ev.object.metadata.labels ?? {};
      };
      fake.store.on('change', onNs);
      const r = await diag(kc, ['--skip-node-checks'], { inCluster: true });
      fake.store.off('change', onNs);
      assert.equal(r.code, 0, JSON.stringify(r.doc.checks.filter((c) => c.status !== 'pass'), null, 1));
      for (const node of ['win-1', 'win-2']) {
        assert.equal(r.check('probe.start', node).status, 'pass');
        for (const id of PROBES) assert.equal(r.check(id, node).status, 'pass', `${id} on ${node}: ${r.check(id, node).message}`);
      }
      assert.match(r.check('net.dns.cluster', 'win-1').evidence!.join('\n'), /negative-control: 10\/10 ok/);
      assert.deepEqual(diagnoseNamespaces(fake), [], 'the temporary namespace is gone');
      assert.match(r.stderr, /running in-cluster checks in namespace win-k8s-diagnose-[0-9a-f]{6}/);
    });
    const spec = (name: string) => seen.find((p) => p.metadata?.name === name)!['spec'] as { nodeName: string; containers: Array<{ name: string; image: string; env?: Array<{ name: string; value: string }> }> };
    assert.equal(spec('dns-udp-win-1').nodeName, 'win-1');
    assert.equal(spec('dns-udp-win-1').containers[0]!.image, 'mcr.microsoft.com/windows/servercore:ltsc2022');
    assert.equal(spec('dns-udp-win-2').containers[0]!.image, 'mcr.microsoft.com/windows/servercore:ltsc2019', 'image matches the node build');
    // The Linux peer runs on a schedulable Linux worker, not on the tainted control plane.
    assert.ok(linuxWorkers.includes(spec('srv-linux').nodeName), `${spec('srv-linux').nodeName} not in ${linuxWorkers.join(', ')}`);
    const full = seen.find((p) => p.metadata?.name === 'dns-udp-win-1')!['spec'] as { os: { name: string }; tolerations: unknown[] };
    assert.deepEqual(full.os, { name: 'windows' });
    assert.deepEqual(full.tolerations, [{ operator: 'Exists' }], 'a NoExecute taint cannot evict a probe');
    const server = spec('srv-win-1').containers[0] as unknown as { image: string; readinessProbe: { tcpSocket: { port: number } } };
    assert.equal(server.image, 'mcr.microsoft.com/windows/servercore:ltsc2022', 'Windows servers run the node build\'s servercore');
    assert.equal(server.readinessProbe.tcpSocket.port, 8080);
    assert.equal(nsLabels['pod-security.kubernetes.io/enforce'], 'baseline', 'probes alone need only baseline');
    // The Linux client of the NodePort probe runs on the Linux peer: another node than the target.
    assert.notEqual(spec('nodeport-win-1').nodeName, 'win-1');
    const targets = JSON.parse(spec('dns-udp-win-1').containers[0]!.env!.find((e) => e.name === 'WIN_K8S_PROBE_TARGETS')!.value) as Array<{ label: string; name: string; expect?: string }>;
    // kubernetes.default cannot resolve on Windows: not tested. The short name is a Service of the
    // probes' own namespace ("kubernetes" resolves only from the default namespace).
    assert.deepEqual(targets.map((t) => t.name).slice(0, 2), ['kubernetes.default.svc.cluster.local', 'svc-windows']);
    assert.equal(targets.find((t) => t.label === 'negative-control')?.expect, 'nxdomain');
    assert.equal(spec('localhost-win-1').containers.length, 2, 'two containers talk over localhost');
  });

  it('DNS names follow the cluster\'s own domain (kubeadm networking.dnsDomain)', async () => {
    const seen: KubeObject[] = [];
    await withNetwork({ seen }, async (fake, kc) => {
      const cm = fake.store.get('configmaps', 'kube-system', 'kubeadm-config')!;
      const data = cm['data'] as Record<string, string>;
      data.ClusterConfiguration = data.ClusterConfiguration!.replace('dnsDomain: cluster.local', 'dnsDomain: corp.example');
      fake.store.put(cm);
      const r = await diag(kc, ONLY_PROBES, { inCluster: true });
      assert.equal(r.check('net.dns.cluster', 'win-1').status, 'pass');
    });
    const pod = seen.find((p) => p.metadata?.name === 'dns-udp-win-1')!;
    const env = ((pod['spec'] as { containers: Array<{ env: Array<{ name: string; value: string }> }> }).containers[0]!.env).find((e) => e.name === 'WIN_K8S_PROBE_TARGETS')!;
    const names = (JSON.parse(env.value) as Array<{ name: string }>).map((t) => t.name);
    assert.ok(names.includes('kubernetes.default.svc.corp.example'), names.join(', '));
    assert.ok(!names.some((n) => n.endsWith('cluster.local')), names.join(', '));
  });

  it('DNS through the Service IP fails while the CoreDNS pod answers: kube-proxy\'s DNS load balancer is named', async () => {
    await withNetwork({ fault: (node, t) => (node === 'win-1' && t.label === 'fqdn-via-service' ? 'no answer for kubernetes.default.svc.cluster.local: timeout' : undefined) }, async (_fake, kc) => {
      const r = await diag(kc, ONLY_PROBES, { inCluster: true });
      assert.equal(r.code, 1);
      const c = r.check('net.dns.cluster', 'win-1');
      assert.equal(c.status, 'fail');
      assert.match(c.message, /Service IP fails while the CoreDNS pod answers/);
      assert.match(c.hint ?? '', /load balancer for the DNS Service is missing.*restart kube-proxy/);
      assert.equal(r.check('net.dns.cluster', 'win-2').status, 'pass');
    });
  });

  it('the short name fails while the full name resolves: the DNS search list is named', async () => {
    await withNetwork({ fault: (node, t) => (node === 'win-2' && t.label === 'short-name' && !t.tcp ? 'NXDOMAIN for kubernetes' : undefined) }, async (_fake, kc) => {
      const r = await diag(kc, ONLY_PROBES, { inCluster: true });
      const c = r.check('net.dns.cluster', 'win-2');
      assert.equal(c.status, 'fail');
      assert.match(c.hint ?? '', /search list/);
    });
  });

  it('the negative control resolving is a warning; TCP-only DNS failure is its own check', async () => {
    await withNetwork(
      {
        fault: (node, t) => {
          if (node === 'win-1' && t.label === 'negative-control' && !t.tcp) return 'kubernetezzzzzzzz.default.svc.cluster.local resolved to 10.0.0.1; expected NXDOMAIN';
          if (node === 'win-2' && t.tcp && (t.label === 'fqdn-via-service' || t.label === 'short-name' || t.label === 'fqdn-via-coredns-pod')) return 'no answer over TCP';
          return undefined;
        },
      },
      async (_fake, kc) => {
        const r = await diag(kc, [...ONLY_PROBES, '--fail-on', 'warn'], { inCluster: true });
        assert.equal(r.code, 1);
        assert.equal(r.check('net.dns.cluster', 'win-1').status, 'warn');
        assert.match(r.check('net.dns.cluster', 'win-1').hint ?? '', /cannot be trusted/);
        assert.equal(r.check('net.dns.cluster', 'win-2').status, 'pass');
        assert.equal(r.check('net.dns.tcp', 'win-2').status, 'fail');
        assert.match(r.check('net.dns.tcp', 'win-2').message, /TCP/);
      },
    );
  });

  it('pod-to-pod, Services, NodePort, UDP, localhost and egress each name their own fix', async () => {
    await withNetwork(
      {
        fault: (node, t) => {
          // The NodePort client runs on the Linux peer: win-1 is the node it dials.
          if (t.label === 'nodeport') return t.address?.startsWith('10.0.2.21:') ? 'TCP connect failed: i/o timeout' : undefined;
          if (node !== 'win-1') return undefined;
          if (t.label === 'service-windows' || t.label === 'service-linux') return 'curl exit 28 (000)';
          if (t.label === 'udp-echo-linux') return 'no UDP echo';
          if (t.label === 'localhost') return 'curl exit 7 (000)';
          if (t.label === 'external-tcp') return 'TCP connect to mcr.microsoft.com:443 timed out';
          return undefined;
        },
      },
      async (_fake, kc) => {
        const r = await diag(kc, ONLY_PROBES, { inCluster: true });
        const hint = (id: string) => {
          const c = r.check(id, 'win-1');
          assert.equal(c.status, 'fail', `${id}: ${c.message}`);
          return c.hint ?? '';
        };
        assert.match(hint('net.service.clusterip'), /pods answer directly but not through their Service IP/);
        assert.match(hint('net.service.nodeport'), /30000-32767.*externalTrafficPolicy: Local/);
        assert.match(hint('net.udp'), /UDP/);
        assert.match(hint('net.pod.localhost'), /containerd/);
        assert.match(hint('net.egress'), /OutBoundNAT ExceptionList/);
        assert.equal(r.check('net.pod.from-windows', 'win-1').status, 'pass');
        for (const id of PROBES) assert.equal(r.check(id, 'win-2').status, 'pass', id);
      },
    );
  });

  it('a large payload failing while small ones pass names the MTU; intermittent failures warn', async () => {
    await withNetwork(
      {
        fault: (node, t, attempt) => {
          if (node === 'win-1' && t.label === 'large') return 'curl exit 28 (000)';
          if (node === 'win-2' && t.label === 'to-linux' && attempt % 4 === 0) return 'curl exit 28 (000)';
          return undefined;
        },
      },
      async (_fake, kc) => {
        const r = await diag(kc, ONLY_PROBES, { inCluster: true });
        const mtu = r.check('net.mtu', 'win-1');
        assert.equal(mtu.status, 'fail');
        assert.match(mtu.hint ?? '', /MTU/);
        const flaky = r.check('net.pod.from-windows', 'win-2');
        assert.equal(flaky.status, 'warn');
        assert.match(flaky.message, /intermittent/);
        assert.match(flaky.evidence!.join(' '), /to-linux: 2\/10 failed/);
      },
    );
  });

  it('a probe pod that never starts fails with the reason from its events; the node\'s other probes are skipped', async () => {
    await withNetwork(
      {
        notStarted: (pod, node) =>
          node === 'win-2' && pod.metadata?.name?.startsWith('srv-')
            ? { reason: 'ContainerCreating', eventReason: 'FailedCreatePodSandBox', message: 'Failed to create pod sandbox: rpc error: code = Unknown desc = failed to create containerd container: image operating system "windows" cannot be used on this platform: The container operating system does not match the host operating system.' }
            : undefined,
      },
      async (fake, kc) => {
        const r = await diag(kc, [...ONLY_PROBES, '--probe-timeout', '1s'], { inCluster: true });
        assert.equal(r.code, 1);
        const start = r.check('probe.start', 'win-2');
        assert.equal(start.status, 'fail');
        assert.match(start.message, /not started after 1s.*FailedCreatePodSandBox.*does not match the host operating system/);
        assert.match(start.hint ?? '', /ltsc2019\/ltsc2022\/ltsc2025/);
        assert.match(r.check('net.dns.cluster', 'win-2').message, /skipped: probe\.start failed/);
        assert.equal(r.check('net.dns.cluster', 'win-1').status, 'pass');
        assert.deepEqual(diagnoseNamespaces(fake), []);
      },
    );
  });

  it('--wait re-runs the failing probes (in a fresh namespace) until they pass', async () => {
    let broken = true;
    await withNetwork({ fault: (node, t) => (broken && node === 'win-1' && t.label === 'fqdn-via-service' ? 'no answer' : undefined) }, async (fake, kc) => {
      const onNamespace = (q: { method: string; path: string }) => {
        // The first round's namespace is created: the network heals before the second.
        if (q.method === 'DELETE' && q.path.startsWith('/api/v1/namespaces/win-k8s-diagnose-')) broken = false;
      };
      fake.on('request', onNamespace);
      const r = await diag(kc, [...ONLY_PROBES, '--wait', '20s'], { inCluster: true });
      fake.off('request', onNamespace);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.check('net.dns.cluster', 'win-1').status, 'pass');
      assert.match(r.stderr, /check\(s\) failing; waiting, round 2/);
      assert.equal(fake.requests.filter((q) => q.method === 'POST' && q.path === '/api/v1/namespaces').length, 2);
      assert.deepEqual(diagnoseNamespaces(fake), []);
    });
  });

  it('a probe that stops early or hangs is judged on what it printed, and never passes with a target untried', async () => {
    await withNetwork(
      {
        // dns-udp on win-1 crashes after 2 lines (2 of 4 targets tried once); services on win-2
        // hangs after 4 lines (both targets tried twice, all ok).
        stop: (pod, node) => {
          const name = pod.metadata?.name ?? '';
          if (node === 'win-1' && name.startsWith('dns-udp-')) return { afterLines: 2, exitCode: 1 };
          if (node === 'win-2' && name.startsWith('services-')) return { afterLines: 4 };
          return undefined;
        },
      },
      async (_fake, kc) => {
        const r = await diag(kc, [...ONLY_PROBES, '--probe-timeout', '2s'], { inCluster: true });
        const crashed = r.check('net.dns.cluster', 'win-1');
        assert.equal(crashed.status, 'fail');
        assert.match(crashed.message, /negative-control, fqdn-via-coredns-pod never tried: the probe stopped \(exit 1\)/);
        const hung = r.check('net.service.clusterip', 'win-2');
        assert.equal(hung.status, 'warn', hung.message);
        assert.match(hung.message, /cut off at --probe-timeout/);
        assert.match(hung.hint ?? '', /raise --probe-timeout/);
      },
    );
  });

  it('probes that cannot be set up fail probe.start with the reason and keep the API checks (exit 1, not 3)', async () => {
    await withNetwork({}, async (fake, kc) => {
      fake.injectFault({ method: 'POST', pathPrefix: '/api/v1/namespaces', match: (q) => q.path === '/api/v1/namespaces', status: 403, reason: 'Forbidden', message: 'namespaces is forbidden: User "jane" cannot create resource "namespaces"', count: 1 });
      const r = await diag(kc, ONLY_PROBES, { inCluster: true });
      assert.equal(r.code, 1, r.stdout);
      assert.equal(r.check('cluster.windows-nodes').status, 'pass');
      const start = r.check('probe.start', 'win-1');
      assert.equal(start.status, 'fail');
      assert.match(start.message, /could not be set up: .*cannot create resource "namespaces"/);
      assert.match(start.hint ?? '', /--skip-probes/);
      assert.match(r.check('net.dns.cluster', 'win-1').message, /skipped: probe\.start failed/);
    });
  });

  it('a namespace that cannot be deleted is reported with the command that deletes it; --node must name a Windows node', async () => {
    await withNetwork({}, async (fake, kc) => {
      fake.injectFault({ method: 'DELETE', pathPrefix: '/api/v1/namespaces/win-k8s-diagnose-', status: 500, message: 'etcdserver: leader changed', count: 1 });
      const r = await diag(kc, ONLY_PROBES, { inCluster: true });
      assert.match(r.stderr, /delete the temporary namespace (win-k8s-diagnose-[0-9a-f]{6}).*etcdserver: leader changed.*kubectl delete namespace win-k8s-diagnose-[0-9a-f]{6}/);
      for (const ns of diagnoseNamespaces(fake)) fake.store.remove('namespaces', undefined, ns.metadata!.name!);
      const typo = await diag(kc, ['--node', 'win-3', '--node', 'cp-1', '--skip-probes']);
      assert.equal(typo.code, 2);
      assert.match(typo.stdout, /no node named win-3; cp-1 is not a Windows node/);
      assert.match(typo.stdout, /--node/);
    });
  });

  it('--skip-probes creates nothing; a failure mid-run and Ctrl-C still remove the namespace', async () => {
    await withNetwork({}, async (fake, kc) => {
      const skipped = await diag(kc, ['--skip-probes', '--checks', 'probe.*,net.dns.*']);
      assert.equal(created(fake, 'namespaces'), 0);
      assert.equal(skipped.check('net.dns.cluster', 'win-1').status, 'skip');
      assert.match(skipped.check('probe.start', 'win-1').message, /--skip-probes/);

      const fault = fake.injectFault({ method: 'POST', resource: 'services', status: 500, message: 'etcdserver: request timed out', count: 1 });
      const failed = await diag(kc, ONLY_PROBES, { inCluster: true });
      assert.ok(fault, 'fault armed');
      assert.equal(failed.code, 1);
      assert.match(failed.stdout, /create the diagnose service svc-windows.*etcdserver: request timed out/);
      assert.deepEqual(diagnoseNamespaces(fake), [], 'removed after a failure');

      const ctl = new AbortController();
      const podsBefore = created(fake, 'pods');
      const onPod = () => {
        if (created(fake, 'pods') > podsBefore) ctl.abort();
      };
      fake.on('request', onPod);
      const before = created(fake, 'namespaces');
      const interrupted = await diag(kc, ONLY_PROBES, { inCluster: true, signal: ctl.signal });
      fake.off('request', onPod);
      assert.equal(interrupted.code, 130);
      assert.match(interrupted.stdout, /interrupted; deleted its temporary namespace win-k8s-diagnose-[0-9a-f]{6}/);
      assert.equal(created(fake, 'namespaces'), before + 1);
      assert.deepEqual(diagnoseNamespaces(fake), [], 'removed after Ctrl-C');
    });
  });
});
