import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { connect } from '../../src/cluster/client.js';
import type { Cluster } from '../../src/cluster/client.js';
import { resolveKubeconfig } from '../../src/cluster/kubeconfig.js';
import { applyManifest, CALICO_KUBE_PROXY_WINDOWS, MANIFEST_HASH_ANNOTATION, renderManifest, WINDOWS_NODE_RBAC } from '../../src/cluster/manifests.js';
import { labelAndTaintNodes, parseTaint, POOL_LABEL, waitForNodes, WINDOWS_TAINT } from '../../src/cluster/nodes.js';
import type { NodeWaitEvent } from '../../src/cluster/nodes.js';
import { ensureRuntimeClasses, runtimeClassNameForBuild } from '../../src/cluster/runtime-classes.js';
import { EnvironmentError, InterruptedError, OperationError } from '../../src/errors.js';
import {
  ADMIN_TOKEN,
  FakeKubeApiServer,
  healthyKubeadmFlannel,
  makeClusterRole,
  makeNode,
  writeKubeconfigFor,
} from '../fakes/kube-apiserver/index.js';
import type { KubeObject, RequestLogEntry } from '../fakes/kube-apiserver/index.js';

type Seen = Array<{ name: string; event: NodeWaitEvent; atMs: number }>;

/** Resolves once `predicate` holds, re-checking on every request the fake serves and every store change. */
function until(fake: FakeKubeApiServer, predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (!predicate()) return;
      cleanup();
      resolve();
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error('condition not met in time'));
    }, timeoutMs);
    const interval = setInterval(check, 10);
    const cleanup = (): void => {
      clearTimeout(timer);
      clearInterval(interval);
      fake.off('request', check);
      fake.off('change', check);
    };
    fake.on('request', check);
    fake.on('change', check);
    check();
  });
}

function windowsNode(name: string, o: { ready?: boolean; build?: string; taints?: Array<{ key: string; value?: string; effect: string }> } = {}): KubeObject {
  return makeNode({ name, os: 'windows', internalIP: '10.0.1.50', ready: o.ready ?? false, windowsBuild: o.build ?? '10.0.20348', ...(o.taints ? { taints: o.taints } : {}), createdDaysAgo: 0 });
}

function setReady(fake: FakeKubeApiServer, name: string): void {
  const node = fake.store.get('nodes', undefined, name);
  assert.ok(node, `node ${name} exists`);
  const status = node['status'] as { conditions: Array<{ type: string; status: string; reason: string }> };
  for (const c of status.conditions) if (c.type === 'Ready') Object.assign(c, { status: 'True', reason: 'KubeletReady' });
  fake.store.put(node);
}

describe('after the join (against the fake kube-apiserver)', function () {
  let fake: FakeKubeApiServer;
  let cluster: Cluster;

  before(async function () {
    fake = new FakeKubeApiServer(healthyKubeadmFlannel());
    await fake.start();
    const kubeconfig = writeKubeconfigFor(fake, { token: ADMIN_TOKEN });
    cluster = await connect(resolveKubeconfig({ flag: kubeconfig, env: {}, cwd: process.cwd() }));
  });

  after(async function () {
    await fake?.stop();
  });

  afterEach(function () {
    fake.clearFaults();
  });

  // The fake has no public handle on open watches; its responses sit in a private set.
  const openWatches = (): Set<ServerResponse> => (fake as unknown as { watchers: Set<ServerResponse> }).watchers;
  const nodeRequests = (verb: string): RequestLogEntry[] => fake.requests.filter((r) => r.resource === 'nodes' && r.verb === verb && !r.name);
  const nodeWatches = (): RequestLogEntry[] => nodeRequests('watch');

  describe('waitForNodes', function () {
    it('resolves at once for a node that is already Ready', async function () {
      const seen: Seen = [];
      const [r] = await waitForNodes(cluster, ['worker-1'], { timeoutMs: 5000, onEvent: (name, event, atMs) => seen.push({ name, event, atMs }) });
      assert.equal(r?.status, 'Ready');
      assert.ok(r.registeredAt !== undefined && r.registeredAt < 1000);
      assert.ok(r.readyAt !== undefined && r.readyAt >= r.registeredAt);
      assert.deepEqual(seen.map((s) => `${s.name} ${s.event}`), ['worker-1 registered', 'worker-1 ready']);
    });

    it('sees a node register and then turn Ready, through one list and a watch', async function () {
      fake.clearRequests();
      const seen: Seen = [];
      const waiting = waitForNodes(cluster, ['win-01'], { timeoutMs: 10_000, onEvent: (name, event, atMs) => seen.push({ name, event, atMs }) });
      await until(fake, () => nodeWatches().length > 0);

      fake.store.put(windowsNode('win-01', { ready: false }));
      await until(fake, () => seen.length === 1);
      assert.deepEqual(seen.map((s) => s.event), ['registered']);

      setReady(fake, 'win-01');
      const [r] = await waiting;
      assert.equal(r?.status, 'Ready');
      assert.deepEqual(seen.map((s) => s.event), ['registered', 'ready']);
      assert.ok(r.registeredAt !== undefined && r.readyAt !== undefined && r.registeredAt <= r.readyAt);
      assert.equal(r.readyAt, seen[1]?.atMs);

      const watch = nodeWatches()[0];
      assert.equal(watch?.query['watch'], 'true');
      assert.ok(watch?.query['resourceVersion'], 'the watch starts from the list’s resourceVersion');
      assert.equal(nodeRequests('list').length, 1, 'one list, no polling');
      assert.equal(nodeWatches().length, 1);
      assert.equal(fake.requests.filter((r) => r.resource === 'nodes' && r.verb === 'get').length, 0);
      await until(fake, () => openWatches().size === 0);
    });

    it('ends a node that never appears as TimedOut, and the others as Ready', async function () {
      const started = Date.now();
      const results = await waitForNodes(cluster, ['ghost-1', 'worker-1'], { timeoutMs: 300 });
      assert.deepEqual(results.map((r) => [r.name, r.status]), [
        ['ghost-1', 'TimedOut'],
        ['worker-1', 'Ready'],
      ]);
      assert.equal(results[0]?.registeredAt, undefined);
      assert.ok(Date.now() - started < 3000);
    });

    it('ends a node that registers but never turns Ready as TimedOut, with its registration time', async function () {
      fake.store.put(windowsNode('win-notready', { ready: false }));
      const [r] = await waitForNodes(cluster, ['win-notready'], { timeoutMs: 300 });
      assert.equal(r?.status, 'TimedOut');
      assert.ok(r.registeredAt !== undefined);
      assert.equal(r.readyAt, undefined);
    });

    it('stops on abort with an InterruptedError (exit 130)', async function () {
      fake.clearRequests();
      const controller = new AbortController();
      const waiting = waitForNodes(cluster, ['win-never'], { timeoutMs: 60_000, signal: controller.signal });
      await until(fake, () => nodeWatches().length > 0);
      const t0 = Date.now();
      controller.abort();
      const err = await waiting.then(
        () => assert.fail('expected a rejection'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof InterruptedError);
      assert.equal(err.exitCode, 130);
      assert.ok(Date.now() - t0 < 1000);
      await until(fake, () => openWatches().size === 0);

      const already = new AbortController();
      already.abort();
      await assert.rejects(waitForNodes(cluster, ['win-never'], { timeoutMs: 60_000, signal: already.signal }), InterruptedError);
    });

    it('resumes a watch the server ended from the last resourceVersion, without listing again', async function () {
      fake.clearRequests();
      const waiting = waitForNodes(cluster, ['win-02'], { timeoutMs: 10_000 });
      await until(fake, () => nodeWatches().length === 1);
      for (const w of openWatches()) w.end();
      await until(fake, () => nodeWatches().length === 2);
      fake.store.put(windowsNode('win-02', { ready: true }));
      const [r] = await waiting;
      assert.equal(r?.status, 'Ready');
      assert.equal(nodeRequests('list').length, 1, 'a clean end is resumed, not re-listed');
      const [first, second] = nodeWatches();
      assert.ok(Number(second?.query['resourceVersion']) >= Number(first?.query['resourceVersion']));
    });

    it('starts over with a list when the watch breaks, and still sees the node', async function () {
      fake.clearRequests();
      fake.injectFault({ verb: 'watch', resource: 'nodes', action: 'reset', count: 1 });
      const waiting = waitForNodes(cluster, ['win-03'], { timeoutMs: 10_000 });
      await until(fake, () => nodeWatches().length === 2);
      fake.store.put(windowsNode('win-03', { ready: true }));
      const [r] = await waiting;
      assert.equal(r?.status, 'Ready');
      assert.equal(nodeRequests('list').length, 2);
    });

    it('lists again when the watch cannot resume from the list’s resourceVersion (410 Expired)', async function () {
      fake.clearRequests();
      const historyLimit = fake.store.historyLimit;
      fake.store.historyLimit = 1;
      try {
        // Hold the watch back while other changes push the list's version out of the history.
        fake.injectFault({ verb: 'watch', resource: 'nodes', action: 'delay', delayMs: 300, count: 1 });
        const waiting = waitForNodes(cluster, ['win-04'], { timeoutMs: 10_000 });
        await until(fake, () => nodeWatches().length === 1);
        for (const name of ['churn-1', 'churn-2', 'churn-3']) fake.store.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: {} });
        await until(fake, () => nodeWatches().length === 2);
        fake.store.put(windowsNode('win-04', { ready: true }));
        const [r] = await waiting;
        assert.equal(r?.status, 'Ready');
        assert.equal(nodeRequests('list').length, 2, 'the expired watch led to a fresh list');
      } finally {
        fake.store.historyLimit = historyLimit;
      }
    });

    it('fails with an environment error (exit 3) when listing nodes is forbidden', async function () {
      fake.injectFault({ verb: 'list', resource: 'nodes', status: 403, reason: 'Forbidden', message: 'nodes is forbidden', count: Infinity });
      const err = await waitForNodes(cluster, ['worker-1'], { timeoutMs: 5000 }).then(
        () => assert.fail('expected a rejection'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof EnvironmentError);
      assert.equal(err.exitCode, 3);
    });

    it('reports the API error, not a timeout, when no list ever succeeds', async function () {
      fake.injectFault({ verb: 'list', resource: 'nodes', status: 503, reason: 'ServiceUnavailable', message: 'etcd is down', count: Infinity });
      await assert.rejects(waitForNodes(cluster, ['worker-1'], { timeoutMs: 400 }), (e: unknown) => e instanceof OperationError && /etcd is down/.test(e.message));
    });
  });

  describe('labelAndTaintNodes', function () {
    const taintsOf = (name: string) => ((fake.store.get('nodes', undefined, name)?.['spec'] ?? {}) as { taints?: Array<Record<string, string>> }).taints ?? [];

    it('adds the pool label and the Windows taint once, keeping what was there', async function () {
      fake.store.put(windowsNode('win-10', { ready: true, taints: [{ key: 'example.com/dedicated', value: 'ci', effect: 'NoSchedule' }] }));
      fake.store.put(windowsNode('win-11', { ready: true }));
      const opts = { labels: { [POOL_LABEL]: 'payments', team: 'pay' }, taints: [WINDOWS_TAINT] };

      fake.clearRequests();
      const first = await labelAndTaintNodes(cluster, ['win-10', 'win-11'], opts);
      assert.deepEqual(first, [
        { name: 'win-10', changed: true },
        { name: 'win-11', changed: true },
      ]);
      assert.equal(fake.requests.filter((r) => r.method === 'PATCH').length, 2);
      const labels = fake.store.get('nodes', undefined, 'win-10')?.metadata?.labels ?? {};
      assert.equal(labels[POOL_LABEL], 'payments');
      assert.equal(labels['team'], 'pay');
      assert.equal(labels['kubernetes.io/os'], 'windows', 'existing labels stay');
      assert.deepEqual(taintsOf('win-10'), [
        { key: 'example.com/dedicated', value: 'ci', effect: 'NoSchedule' },
        { key: 'os', value: 'windows', effect: 'NoSchedule' },
      ]);
      assert.deepEqual(taintsOf('win-11'), [{ key: 'os', value: 'windows', effect: 'NoSchedule' }]);

      fake.clearRequests();
      const second = await labelAndTaintNodes(cluster, ['win-10', 'win-11'], opts);
      assert.deepEqual(second.map((r) => r.changed), [false, false]);
      assert.equal(fake.requests.filter((r) => r.method === 'PATCH').length, 0, 'nothing to patch the second time');
      assert.equal(taintsOf('win-10').length, 2, 'no duplicate taint');
    });

    it('replaces a taint with the same key and effect instead of adding a second one', async function () {
      fake.store.put(windowsNode('win-12', { ready: true, taints: [{ key: 'os', value: 'linux', effect: 'NoSchedule' }] }));
      await labelAndTaintNodes(cluster, ['win-12'], { taints: [WINDOWS_TAINT] });
      assert.deepEqual(taintsOf('win-12'), [{ key: 'os', value: 'windows', effect: 'NoSchedule' }]);
    });

    it('redoes the patch when the node changed in between (409)', async function () {
      fake.store.put(windowsNode('win-13', { ready: true }));
      const fault = fake.injectFault({ method: 'PATCH', resource: 'nodes', status: 409, reason: 'Conflict', count: 1 });
      const [r] = await labelAndTaintNodes(cluster, ['win-13'], { labels: { [POOL_LABEL]: 'a' } });
      assert.equal(fault.hits, 1);
      assert.equal(r?.changed, true);
      assert.equal(fake.store.get('nodes', undefined, 'win-13')?.metadata?.labels?.[POOL_LABEL], 'a');
    });

    it('fails when a node does not exist', async function () {
      await assert.rejects(labelAndTaintNodes(cluster, ['nope'], { labels: { a: 'b' } }), (e: unknown) => e instanceof OperationError && /node nope does not exist/.test(e.message));
    });

    it('parses kubectl taint syntax', function () {
      assert.deepEqual(parseTaint('os=windows:NoSchedule'), WINDOWS_TAINT);
      assert.deepEqual(parseTaint('dedicated:NoExecute'), { key: 'dedicated', effect: 'NoExecute' });
      assert.equal(parseTaint('os=windows'), undefined);
      assert.equal(parseTaint('os=windows:Sometimes'), undefined);
    });
  });

  describe('ensureRuntimeClasses', function () {
    const rc = (name: string) => fake.store.get('runtimeclasses.node.k8s.io', undefined, name);

    it('creates one class per Windows build, idempotently', async function () {
      const first = await ensureRuntimeClasses(cluster, { builds: ['10.0.20348', '10.0.17763', '10.0.20348', '10.0.14393', '10.0.99999'], taintWindows: true, hyperv: false });
      assert.deepEqual(first.classes, [
        { name: 'windows-2019', action: 'created' },
        { name: 'windows-2022', action: 'created' },
      ]);
      assert.deepEqual(first.skipped.map((s) => s.build), ['10.0.14393', '10.0.99999']);
      const c = rc('windows-2022');
      assert.equal(c?.['handler'], 'runhcs-wcow-process');
      assert.deepEqual(c?.['scheduling'], {
        nodeSelector: { 'kubernetes.io/os': 'windows', 'node.kubernetes.io/windows-build': '10.0.20348' },
        tolerations: [{ key: 'os', operator: 'Equal', value: 'windows', effect: 'NoSchedule' }],
      });
      assert.equal(c?.metadata?.labels?.['app.kubernetes.io/managed-by'], 'win-k8s');
      assert.equal(rc('windows-hyperv'), undefined);

      const rv = rc('windows-2019')?.metadata?.resourceVersion;
      const second = await ensureRuntimeClasses(cluster, { builds: ['10.0.17763', '10.0.20348'], taintWindows: true, hyperv: false });
      assert.deepEqual(second.classes.map((x) => x.action), ['unchanged', 'unchanged']);
      assert.equal(rc('windows-2019')?.metadata?.resourceVersion, rv);
    });

    it('updates a class when the taint setting changes', async function () {
      const r = await ensureRuntimeClasses(cluster, { builds: ['10.0.20348'], taintWindows: false, hyperv: false });
      assert.deepEqual(r.classes, [{ name: 'windows-2022', action: 'updated' }]);
      assert.deepEqual(rc('windows-2022')?.['scheduling'], { nodeSelector: { 'kubernetes.io/os': 'windows', 'node.kubernetes.io/windows-build': '10.0.20348' } });
    });

    it('adds windows-hyperv when asked', async function () {
      const r = await ensureRuntimeClasses(cluster, { builds: ['10.0.26100'], taintWindows: true, hyperv: true });
      assert.deepEqual(r.classes, [
        { name: 'windows-2025', action: 'created' },
        { name: 'windows-hyperv', action: 'created' },
      ]);
      const h = rc('windows-hyperv');
      assert.equal(h?.['handler'], 'runhcs-wcow-hypervisor');
      assert.deepEqual((h?.['scheduling'] as { nodeSelector: unknown }).nodeSelector, { 'kubernetes.io/os': 'windows' });
    });

    it('recreates a class whose handler was changed (the handler is immutable)', async function () {
      const c = rc('windows-2025');
      assert.ok(c);
      fake.store.put({ ...c, handler: 'something-else' });
      const r = await ensureRuntimeClasses(cluster, { builds: ['10.0.26100'], taintWindows: true, hyperv: false });
      assert.deepEqual(r.classes, [{ name: 'windows-2025', action: 'updated' }]);
      assert.equal(rc('windows-2025')?.['handler'], 'runhcs-wcow-process');
    });

    it('names classes only for exact 2019/2022/2025 build labels', function () {
      assert.equal(runtimeClassNameForBuild('10.0.17763'), 'windows-2019');
      assert.equal(runtimeClassNameForBuild('10.0.26100'), 'windows-2025');
      assert.equal(runtimeClassNameForBuild('10.0.14393'), undefined);
      assert.equal(runtimeClassNameForBuild('20348'), undefined);
      assert.equal(runtimeClassNameForBuild('garbage'), undefined);
    });
  });

  describe('applyManifest', function () {
    const crb = (name: string) => fake.store.get('clusterrolebindings.rbac.authorization.k8s.io', undefined, name);
    const ds = () => fake.store.get('daemonsets.apps', 'kube-system', 'kube-proxy-windows');

    it('applies the Windows node RBAC twice: created, then unchanged', async function () {
      // flanneld patches its node's annotations with the node's credentials; the Node
      // authorizer alone does not allow patching through the flannel role's rules.
      fake.store.put(makeClusterRole('flannel', [{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch', 'patch'] }]));
      const node = { name: 'system:node:win-01', groups: ['system:nodes', 'system:authenticated'] };
      const patchOtherNode = { verb: 'patch', isResourceRequest: true, apiGroup: '', resource: 'nodes', name: 'cp-1' };
      const listEndpointSlices = { verb: 'list', isResourceRequest: true, apiGroup: 'discovery.k8s.io', resource: 'endpointslices' };
      assert.equal(fake.can(node, patchOtherNode), false);

      const first = await applyManifest(cluster, WINDOWS_NODE_RBAC, {});
      assert.deepEqual(first, [
        { kind: 'ClusterRoleBinding', name: 'win-k8s:node-proxier', action: 'created' },
        { kind: 'ClusterRoleBinding', name: 'win-k8s:node-flannel', action: 'created' },
      ]);
      const second = await applyManifest(cluster, WINDOWS_NODE_RBAC, {});
      assert.deepEqual(second.map((r) => r.action), ['unchanged', 'unchanged']);

      assert.deepEqual(crb('win-k8s:node-proxier')?.['roleRef'], { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:node-proxier' });
      assert.deepEqual(crb('win-k8s:node-flannel')?.['subjects'], [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:nodes' }]);
      assert.equal(fake.can(node, patchOtherNode), true, 'granted through win-k8s:node-flannel');
      assert.equal(fake.can(node, listEndpointSlices), true);
    });

    it('recreates a binding whose roleRef differs', async function () {
      const b = crb('win-k8s:node-flannel');
      assert.ok(b);
      fake.store.put({ ...b, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' } });
      const r = await applyManifest(cluster, WINDOWS_NODE_RBAC, {});
      assert.deepEqual(r.map((x) => x.action), ['unchanged', 'updated']);
      assert.equal((crb('win-k8s:node-flannel')?.['roleRef'] as { name: string }).name, 'flannel');
    });

    it('applies the Calico Windows kube-proxy DaemonSet idempotently', async function () {
      const first = await applyManifest(cluster, CALICO_KUBE_PROXY_WINDOWS, { KUBERNETES_VERSION: '1.33.2' });
      assert.deepEqual(first, [{ kind: 'DaemonSet', name: 'kube-proxy-windows', namespace: 'kube-system', action: 'created' }]);
      const second = await applyManifest(cluster, CALICO_KUBE_PROXY_WINDOWS, { KUBERNETES_VERSION: '1.33.2' });
      assert.deepEqual(second.map((r) => r.action), ['unchanged']);

      const d = ds();
      assert.ok(d);
      const spec = (d['spec'] as { template: { spec: Record<string, any> } }).template.spec;
      assert.equal(spec['hostNetwork'], true);
      assert.equal(spec['serviceAccountName'], 'kube-proxy');
      assert.deepEqual(spec['securityContext'], { windowsOptions: { hostProcess: true, runAsUserName: 'NT AUTHORITY\\system' } });
      assert.deepEqual(spec['nodeSelector'], { 'kubernetes.io/os': 'windows' });
      assert.ok((spec['tolerations'] as Array<Record<string, string>>).some((t) => t['operator'] === 'Exists' && t['effect'] === 'NoSchedule' && !t['key']));
      const container = spec['containers'][0];
      assert.equal(container.image, 'docker.io/sigwindowstools/kube-proxy:v1.33.2-calico-hostprocess');
      assert.deepEqual(container.env.find((e: { name: string }) => e.name === 'KUBE_NETWORK'), { name: 'KUBE_NETWORK', value: 'Calico.*' });
      assert.deepEqual(spec['volumes'], [{ name: 'kube-proxy', configMap: { name: 'kube-proxy' } }]);
    });

    it('puts a drifted or outdated DaemonSet back, keeping annotations others added', async function () {
      const d = ds();
      assert.ok(d);
      const spec = d['spec'] as { template: { spec: { containers: Array<{ image: string }> } } };
      spec.template.spec.containers[0]!.image = 'example.com/tampered:1';
      d.metadata = { ...d.metadata, annotations: { ...d.metadata?.annotations, 'example.com/owner': 'ops' } };
      fake.store.put(d);

      const r = await applyManifest(cluster, CALICO_KUBE_PROXY_WINDOWS, { KUBERNETES_VERSION: '1.33.2' });
      assert.deepEqual(r.map((x) => x.action), ['updated']);
      const after = ds();
      assert.equal((after?.['spec'] as typeof spec).template.spec.containers[0]?.image, 'docker.io/sigwindowstools/kube-proxy:v1.33.2-calico-hostprocess');
      assert.equal(after?.metadata?.annotations?.['example.com/owner'], 'ops');

      const upgraded = await applyManifest(cluster, CALICO_KUBE_PROXY_WINDOWS, { KUBERNETES_VERSION: '1.34.1' });
      assert.deepEqual(upgraded.map((x) => x.action), ['updated']);
      assert.equal((ds()?.['spec'] as typeof spec).template.spec.containers[0]?.image, 'docker.io/sigwindowstools/kube-proxy:v1.34.1-calico-hostprocess');
    });

    it('renders real YAML with every placeholder filled, and refuses missing or unsafe values', function () {
      const [obj] = renderManifest(CALICO_KUBE_PROXY_WINDOWS, { KUBERNETES_VERSION: '1.33.2' });
      assert.equal(obj?.kind, 'DaemonSet');
      assert.match(obj?.metadata?.annotations?.[MANIFEST_HASH_ANNOTATION] ?? '', /^[0-9a-f]{16}$/);
      assert.throws(() => renderManifest(CALICO_KUBE_PROXY_WINDOWS, {}), /KUBERNETES_VERSION/);
      assert.throws(() => renderManifest(WINDOWS_NODE_RBAC, { KUBERNETES_VERSION: '1.33.2' }), /no template uses/);
      assert.throws(() => renderManifest(CALICO_KUBE_PROXY_WINDOWS, { KUBERNETES_VERSION: '1.33.2\n  evil: true' }), /not safe in YAML/);
    });
  });
});
