import assert from 'node:assert/strict';
import { makeClusterRole, makeClusterRoleBinding, windowsKubeletConfig, windowsSummary, writeKubeconfigFor, type FakeClusterFixture, type FakeKubeApiServer } from '../fakes/kube-apiserver/index.js';
import { diag, healthy, putHealthyWindowsNode, withFake } from '../helpers/diagnose.js';

/**
 * The kubelet's own view through the API server's node proxy: /configz judged for Windows and
 * /stats/summary against the eviction and image GC thresholds, with the failures a kubelet can
 * answer (a 403 from RBAC or from the kubelet itself, no answer, a bad configuration, a full disk).
 */

const GiB = 1024 ** 3;
const KUBELET = 'cluster.windows-nodes,node.kubelet.*';

function setCapacity(fake: FakeKubeApiServer, name: string, memory: string): void {
  const n = fake.store.get('nodes', undefined, name) as { status: { capacity: Record<string, string> } };
  n.status.capacity['memory'] = memory;
  fake.store.put(n as never);
}

describe('diagnose: the kubelet through the API server (/configz, /stats/summary)', function () {
  this.timeout(60_000);

  it('a healthy Windows kubelet passes every node.kubelet check, read through the node proxy', async () => {
    await withFake(healthy(), async (fake, kc) => {
      putHealthyWindowsNode(fake, 'win-1', { octet: 21 });
      const r = await diag(kc, ['--checks', KUBELET]);
      for (const id of ['node.kubelet.cgroups', 'node.kubelet.eviction', 'node.kubelet.reserved', 'node.kubelet.runtime-endpoint', 'node.kubelet.disk', 'node.kubelet.memory']) {
        const c = r.check(id, 'win-1');
        assert.equal(c.status, 'pass', `${id}: ${c.message}`);
        assert.equal(c.category, 'kubelet');
      }
      assert.match(r.check('node.kubelet.cgroups', 'win-1').message, /cgroupsPerQOS false, enforceNodeAllocatable \[\]/);
      assert.match(r.check('node.kubelet.runtime-endpoint', 'win-1').message, /npipe:\/\/\/\/\.\/pipe\/containerd-containerd/);
      assert.match(r.check('node.kubelet.disk', 'win-1').message, /node fs 30% used .*image fs/);
      assert.match(r.check('node.kubelet.memory', 'win-1').message, /10\.8 GiB of 16\.0 GiB available \(eviction at memory\.available<100Mi\)/);
      assert.match(r.check('node.kubelet.memory', 'win-1').evidence?.join('') ?? '', /largest pods by working set: .*web-win-1/);
      for (const path of ['configz', 'stats/summary']) assert.ok(fake.requests.some((q) => decodeURIComponent(q.path) === `/api/v1/nodes/win-1/proxy/${path}`), path);
      assert.equal(r.code, 0, r.stdout);
    });
  });

  it('a configuration Windows cannot honour: cgroups, inode and PID thresholds, a unix socket, nothing reserved on a 4 GiB VM', async () => {
    const bad = windowsKubeletConfig((c) => {
      c['cgroupsPerQOS'] = true;
      c['enforceNodeAllocatable'] = ['pods'];
      c['evictionHard'] = { 'memory.available': '100Mi', 'nodefs.available': '10%', 'nodefs.inodesFree': '5%', 'pid.available': '10%' };
      c['containerRuntimeEndpoint'] = 'unix:///run/containerd/containerd.sock';
    });
    await withFake(
      healthy(),
      async (fake, kc) => {
        putHealthyWindowsNode(fake, 'win-1', { octet: 21 });
        setCapacity(fake, 'win-1', '4030464Ki');
        putHealthyWindowsNode(fake, 'win-2', { octet: 22 });
        setCapacity(fake, 'win-2', '8280116Ki');
        const r = await diag(kc, ['--checks', KUBELET]);
        const cg = r.check('node.kubelet.cgroups', 'win-1');
        assert.equal(cg.status, 'warn');
        assert.match(cg.message, /cgroupsPerQOS is true; enforceNodeAllocatable is \[pods\]: Windows has no cgroups/);
        assert.match(cg.hint ?? '', /--cgroups-per-qos=false/);
        const ev = r.check('node.kubelet.eviction', 'win-1');
        assert.equal(ev.status, 'warn');
        assert.match(ev.message, /2 eviction threshold\(s\) can never fire on Windows: evictionHard nodefs\.inodesFree<5% \(NTFS has no inodes\); evictionHard pid\.available<10% \(the Windows kubelet never reports PIDPressure\)/);
        const res = r.check('node.kubelet.reserved', 'win-1');
        assert.equal(res.status, 'warn');
        assert.match(res.message, /only 0\.0 GiB reserved on a 3\.8 GiB VM/);
        assert.match(res.hint ?? '', /systemReserved: \{memory: 2Gi\}/);
        // An 8 GiB VM (a little under 8 GiB of capacity) is not small: a pass that still names the docs' 2 GiB.
        const eight = r.check('node.kubelet.reserved', 'win-2');
        assert.equal(eight.status, 'pass', eight.message);
        assert.match(eight.message, /0\.0 GiB reserved on a 7\.9 GiB VM .*the docs recommend 2 GiB on Windows/);
        const ep = r.check('node.kubelet.runtime-endpoint', 'win-1');
        assert.equal(ep.status, 'fail');
        assert.match(ep.message, /unix:\/\/\/run\/containerd\/containerd\.sock is not a named pipe/);
        assert.equal(r.code, 1);
      },
      { configz: () => bad },
    );
  });

  it('the kubelet talking to another runtime than the node reports warns, naming both', async () => {
    await withFake(
      healthy(),
      async (fake, kc) => {
        putHealthyWindowsNode(fake, 'win-1', { octet: 21 });
        const r = await diag(kc, ['--checks', KUBELET]);
        const ep = r.check('node.kubelet.runtime-endpoint', 'win-1');
        assert.equal(ep.status, 'warn');
        assert.match(ep.message, /reports containerd:\/\/.*talks to npipe:\/\/\/\/\.\/pipe\/cri-dockerd \(expected npipe:\/\/\/\/\.\/pipe\/containerd-containerd\)/);
      },
      { configz: () => windowsKubeletConfig((c) => (c['containerRuntimeEndpoint'] = 'npipe:////./pipe/cri-dockerd')) },
    );
  });

  it('evictionHard set empty (absent from /configz, which shows values after defaulting) warns that nothing can evict', async () => {
    await withFake(
      healthy(),
      async (fake, kc) => {
        putHealthyWindowsNode(fake, 'win-1', { octet: 21 });
        const r = await diag(kc, ['--checks', KUBELET]);
        const ev = r.check('node.kubelet.eviction', 'win-1');
        assert.equal(ev.status, 'warn');
        assert.match(ev.message, /no hard eviction threshold that can fire on Windows \(evictionHard is empty\)/);
        assert.match(r.check('node.kubelet.memory', 'win-1').message, /no memory\.available threshold is set/);
      },
      { configz: () => windowsKubeletConfig((c) => delete c['evictionHard']) },
    );
  });

  it('a full image filesystem and memory below the threshold: fail with the numbers and the largest pods', async () => {
    await withFake(
      healthy(),
      async (fake, kc) => {
        putHealthyWindowsNode(fake, 'win-1', { octet: 21 });
        putHealthyWindowsNode(fake, 'win-2', { octet: 22 });
        const r = await diag(kc, ['--checks', KUBELET]);
        const full = r.check('node.kubelet.disk', 'win-1');
        assert.equal(full.status, 'fail');
        assert.match(full.message, /image fs: 4\.0 GiB free is below imagefs\.available<15%: the kubelet reports DiskPressure and evicts pods/);
        assert.match(full.hint ?? '', /crictl rmi --prune/);
        const gc = r.check('node.kubelet.disk', 'win-2');
        assert.equal(gc.status, 'warn');
        assert.match(gc.message, /image fs: 78% used, close to image GC at 85% used \(it deletes unused images down to 80%.*\) and eviction at imagefs\.available<15%/);
        const mem = r.check('node.kubelet.memory', 'win-1');
        assert.equal(mem.status, 'fail');
        assert.match(mem.message, /0\.1 GiB of 8\.0 GiB available, below memory\.available<100Mi/);
        assert.match(mem.evidence?.join('') ?? '', /default\/sql-0 6144 MiB/);
        assert.equal(r.check('node.kubelet.memory', 'win-2').status, 'warn');
      },
      {
        summary: (node) =>
          node === 'win-1'
            ? windowsSummary(node, { memoryBytes: 8 * GiB, memoryWorkingSetBytes: 8 * GiB - 60 * 1024 ** 2, imageFs: { capacityBytes: 34 * GiB, usedBytes: 30 * GiB }, pods: [{ namespace: 'default', name: 'web-win-1' }, { namespace: 'default', name: 'sql-0', workingSetBytes: 6 * GiB }] })
            : windowsSummary(node, { memoryBytes: 8 * GiB, memoryWorkingSetBytes: 7.5 * GiB, imageFs: { capacityBytes: 100 * GiB, usedBytes: 78 * GiB } }),
      },
    );
  });

  it('a kubelet that refuses the API server (403) warns naming system:kubelet-api-admin; one that is down skips, pointing at node.kubelet-reachable', async () => {
    await withFake(
      healthy(),
      async (fake, kc) => {
        putHealthyWindowsNode(fake, 'win-1', { octet: 21 });
        putHealthyWindowsNode(fake, 'win-2', { octet: 22 });
        const r = await diag(kc, ['--checks', `${KUBELET},node.kubelet-reachable`]);
        const refused = r.check('node.kubelet.cgroups', 'win-1');
        assert.equal(refused.status, 'warn');
        assert.match(refused.message, /not allowed to read the kubelet's \/configz: HTTP 403: Forbidden \(user=kube-apiserver-kubelet-client, verb=get, resource=nodes, subresource=proxy\)/);
        assert.match(refused.hint ?? '', /system:kubelet-api-admin/);
        assert.match(r.check('node.kubelet.disk', 'win-1').message, /subresource=stats/);
        const down = r.check('node.kubelet.disk', 'win-2');
        assert.equal(down.status, 'skip');
        assert.match(down.message, /node\.kubelet-reachable says why\): HTTP 503: error trying to reach service: dial tcp 10\.0\.2\.22:10250/);
        assert.equal(r.check('node.kubelet-reachable', 'win-2').status, 'fail');
      },
      { nodes: (n) => n !== 'win-2', forbidden: (n, path) => n === 'win-1' && path !== '/healthz' },
    );
  });

  it('a user without get on nodes/proxy (RBAC) gets a warning naming the permission, never a crash', async () => {
    const TOKEN = 'fake-no-proxy-token-0123456789';
    const base = healthy();
    const fixture: FakeClusterFixture = {
      ...base,
      tokens: { ...base.tokens, [TOKEN]: { user: 'viewer', groups: ['viewers'] } },
      seed: async (ctx) => {
        await base.seed(ctx);
        // Everything diagnose lists, but no subresource: nodes/proxy stays forbidden.
        const resources = ['nodes', 'pods', 'events', 'services', 'endpointslices', 'namespaces', 'configmaps', 'daemonsets', 'deployments'];
        ctx.store.put(makeClusterRole('viewer-all', [{ apiGroups: ['*'], resources, verbs: ['get', 'list', 'watch'] }]));
        ctx.store.put(makeClusterRoleBinding('viewer-all', 'viewer-all', [{ kind: 'Group', name: 'viewers' }]));
      },
    };
    await withFake(fixture, async (fake) => {
      putHealthyWindowsNode(fake, 'win-1', { octet: 21 });
      const kc = writeKubeconfigFor(fake, { token: TOKEN });
      const r = await diag(kc, ['--checks', KUBELET]);
      const c = r.check('node.kubelet.eviction', 'win-1');
      assert.equal(c.status, 'warn', c.message);
      assert.match(c.message, /not allowed to read the kubelet's \/configz: HTTP 403: .*nodes\/proxy/);
      assert.match(c.hint ?? '', /grant get on nodes\/proxy/);
    });
  });

  it('an answer that is not the kubelet\'s document warns instead of judging it', async () => {
    await withFake(
      healthy(),
      async (fake, kc) => {
        putHealthyWindowsNode(fake, 'win-1', { octet: 21 });
        const r = await diag(kc, ['--checks', KUBELET]);
        const c = r.check('node.kubelet.cgroups', 'win-1');
        assert.equal(c.status, 'warn');
        assert.match(c.message, /answered \/configz with something else: \/configz does not have the kubelet's shape \(kubeletconfig/);
        const s = r.check('node.kubelet.disk', 'win-1');
        assert.equal(s.status, 'warn');
        assert.match(s.message, /not JSON/);
      },
      { configz: () => ({ componentconfig: {} }), summary: () => '<html>proxy error</html>' },
    );
  });
});
