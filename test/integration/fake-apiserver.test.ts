import * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ADMIN_TOKEN,
  aksLike,
  BOOTSTRAP_TOKEN,
  calico,
  eks,
  FakeKubeApiServer,
  flannelLinuxDefaults,
  healthyKubeadmFlannel,
  LIMITED_TOKEN,
  makePod,
  rbacDenied,
  writeKubeconfigFor,
} from '../fakes/kube-apiserver/index.js';
import type { KubeObject } from '../fakes/kube-apiserver/index.js';
import { kubeHttpClient } from '../helpers/kube-http.js';
import type { KubeHttpClient } from '../helpers/kube-http.js';
import { kubectlAvailable, kubectlSandbox } from '../helpers/kube-kubectl.js';
import type { KubectlSandbox } from '../helpers/kube-kubectl.js';
import { generateKeyAndCsr } from '../helpers/kube-pki.js';

const VIEWER_TOKEN = 'viewer-token-for-tests';

describe('fake kube-apiserver', function () {
  let fake: FakeKubeApiServer;
  let http: KubeHttpClient;
  let kubectl: KubectlSandbox;
  let adminKubeconfig: string;
  let viewerKubeconfig: string;

  before(async function () {
    fake = new FakeKubeApiServer(healthyKubeadmFlannel());
    await fake.start();
    // A user who may only read nodes and pods (through the rule table, not RBAC objects).
    fake.addToken(VIEWER_TOKEN, { user: 'viewer', groups: ['viewers'] });
    fake.grant({ group: 'viewers' }, [{ verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['nodes', 'pods'] }]);
    http = kubeHttpClient(fake.url, fake.caPem);
    kubectl = kubectlSandbox();
    adminKubeconfig = writeKubeconfigFor(fake, { token: ADMIN_TOKEN, contextName: 'admin@fake', path: join(kubectl.home, 'admin.kubeconfig') });
    viewerKubeconfig = writeKubeconfigFor(fake, { token: VIEWER_TOKEN, contextName: 'viewer@fake', path: join(kubectl.home, 'viewer.kubeconfig') });
  });

  after(async function () {
    await fake?.stop();
    kubectl?.cleanup();
  });

  const admin = (args: string[], stdin?: string) => kubectl.run(args, { kubeconfig: adminKubeconfig, ...(stdin !== undefined ? { stdin } : {}) });

  describe('with the real kubectl', function () {
    before(async function () {
      // The fake is proven with the real client: without kubectl the suite must fail, not pass quietly.
      if (!(await kubectlAvailable())) throw new Error('kubectl not found on PATH (or $KUBECTL): install kubectl to run the fake kube-apiserver tests');
    });

    it('gets nodes as JSON', async function () {
      const r = await admin(['get', 'nodes', '-o', 'json']);
      assert.equal(r.code, 0, r.stderr);
      const list = JSON.parse(r.stdout) as { kind: string; items: KubeObject[] };
      assert.equal(list.kind, 'List');
      assert.deepEqual(list.items.map((n) => n.metadata?.name), ['cp-1', 'worker-1']);
      const cp = list.items[0] as KubeObject;
      assert.equal(cp.kind, 'Node');
      assert.equal((cp['spec'] as { providerID: string }).providerID, 'aws:///us-east-1a/i-0123456789abcdef0');
      assert.equal(cp.metadata?.labels?.['node-role.kubernetes.io/control-plane'], '');
    });

    it('reports the server version from /version', async function () {
      const r = await admin(['version', '-o', 'json']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal((JSON.parse(r.stdout) as { serverVersion: { gitVersion: string } }).serverVersion.gitVersion, 'v1.33.2');
    });

    it('gets the kubeadm-config ConfigMap', async function () {
      const r = await admin(['get', 'configmap', '-n', 'kube-system', 'kubeadm-config', '-o', 'json']);
      assert.equal(r.code, 0, r.stderr);
      const cm = JSON.parse(r.stdout) as { data: { ClusterConfiguration: string } };
      assert.match(cm.data.ClusterConfiguration, /podSubnet: 10\.244\.0\.0\/16/);
      assert.match(cm.data.ClusterConfiguration, /serviceSubnet: 10\.96\.0\.0\/12/);
      assert.match(cm.data.ClusterConfiguration, /kubernetesVersion: v1\.33\.2/);
      assert.match(cm.data.ClusterConfiguration, new RegExp(`controlPlaneEndpoint: ${fake.url.replace('https://', '')}`));
    });

    it('creates a namespace, applies a manifest twice, labels, lists by selector and deletes', async function () {
      let r = await admin(['create', 'namespace', 'apps']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), 'namespace/apps created');
      assert.equal(fake.store.get('namespaces', undefined, 'apps')?.metadata?.labels?.['kubernetes.io/metadata.name'], 'apps');

      const manifest = (image: string) =>
        [
          'apiVersion: v1',
          'kind: ConfigMap',
          'metadata:',
          '  name: web-config',
          '  namespace: apps',
          'data:',
          '  greeting: hello',
          '---',
          'apiVersion: apps/v1',
          'kind: Deployment',
          'metadata:',
          '  name: web',
          '  namespace: apps',
          '  labels: {app: web}',
          'spec:',
          '  replicas: 2',
          '  selector: {matchLabels: {app: web}}',
          '  template:',
          '    metadata: {labels: {app: web}}',
          '    spec:',
          '      nodeSelector: {kubernetes.io/os: windows}',
          '      containers:',
          '      - name: web',
          `        image: ${image}`,
          '        ports: [{containerPort: 80}]',
          '',
        ].join('\n');
      const file = join(kubectl.home, 'web.yaml');
      writeFileSync(file, manifest('mcr.microsoft.com/windows/servercore/iis:windowsservercore-ltsc2022'));
      r = await admin(['apply', '--validate=false', '-f', file]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /configmap\/web-config created/);
      assert.match(r.stdout, /deployment.apps\/web created/);

      r = await admin(['apply', '--validate=false', '-f', file]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /configmap\/web-config unchanged/);
      assert.match(r.stdout, /deployment.apps\/web unchanged/);

      // Without --validate=false too: the fake's OpenAPI v3 skeleton advertises server-side field validation.
      writeFileSync(file, manifest('mcr.microsoft.com/windows/servercore/iis:windowsservercore-ltsc2025'));
      r = await admin(['apply', '-f', file]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /deployment.apps\/web configured/);
      const dep = fake.store.get('deployments.apps', 'apps', 'web');
      const containers = ((dep?.['spec'] as any).template.spec.containers) as Array<{ image: string; ports: unknown[] }>;
      assert.equal(containers.length, 1);
      assert.equal(containers[0]?.image, 'mcr.microsoft.com/windows/servercore/iis:windowsservercore-ltsc2025');
      assert.deepEqual(containers[0]?.ports, [{ containerPort: 80 }]);
      assert.equal(dep?.metadata?.generation, 2);

      r = await admin(['label', 'node', 'worker-1', 'win-k8s.io/test=yes']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), 'node/worker-1 labeled');
      r = await admin(['get', 'nodes', '-l', 'win-k8s.io/test=yes', '-o', 'name']);
      assert.equal(r.stdout.trim(), 'node/worker-1');
      r = await admin(['get', 'nodes', '-l', '!node-role.kubernetes.io/control-plane', '-o', 'name']);
      assert.equal(r.stdout.trim(), 'node/worker-1');
      r = await admin(['get', 'nodes', '-l', 'kubernetes.io/hostname in (cp-1,worker-9)', '-o', 'name']);
      assert.equal(r.stdout.trim(), 'node/cp-1');
      r = await admin(['label', 'node', 'worker-1', 'win-k8s.io/test-']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(fake.store.get('nodes', undefined, 'worker-1')?.metadata?.labels?.['win-k8s.io/test'], undefined);

      r = await admin(['delete', 'namespace', 'apps']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /namespace "apps" deleted/);
      assert.equal(fake.store.get('deployments.apps', 'apps', 'web'), undefined);
      assert.equal(fake.store.list('configmaps', { namespace: 'apps' }).length, 0);
    });

    it('lists pods with a field selector and prints server-side tables', async function () {
      let r = await admin(['get', 'pods', '-A', '--field-selector', 'spec.nodeName=worker-1', '-o', 'name']);
      assert.equal(r.code, 0, r.stderr);
      const names = r.stdout.trim().split('\n').sort();
      assert.equal(names.length, 3); // kube-proxy, kube-flannel-ds, node-exporter
      assert.ok(names.some((n) => n.startsWith('pod/kube-flannel-ds-')));
      r = await admin(['get', 'nodes']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\n/);
      assert.match(r.stdout, /\ncp-1\s+Ready\s+control-plane\s+30d\s+v1\.33\.2\n/);
      r = await admin(['get', 'ds', '-A']);
      assert.match(r.stdout, /monitoring\s+node-exporter\s+2\s+2\s+2\s+2\s+2\s+<none>/);
    });

    it('answers 403 with the real RBAC message', async function () {
      const r = await kubectl.run(['get', 'secrets', '-n', 'kube-system'], { kubeconfig: viewerKubeconfig });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /Error from server \(Forbidden\): secrets is forbidden: User "viewer" cannot list resource "secrets" in API group "" in the namespace "kube-system"/);
      const ok = await kubectl.run(['get', 'nodes', '-o', 'name'], { kubeconfig: viewerKubeconfig });
      assert.equal(ok.code, 0, ok.stderr);
    });

    it('answers kubectl auth can-i through SelfSubjectAccessReview', async function () {
      const no = await kubectl.run(['auth', 'can-i', 'create', 'daemonsets.apps', '-n', 'kube-system'], { kubeconfig: viewerKubeconfig });
      assert.equal(no.stdout.trim(), 'no');
      const yes = await kubectl.run(['auth', 'can-i', 'list', 'nodes'], { kubeconfig: viewerKubeconfig });
      assert.equal(yes.stdout.trim(), 'yes');
      const whoami = await kubectl.run(['auth', 'whoami', '-o', 'json'], { kubeconfig: viewerKubeconfig });
      assert.equal(whoami.code, 0, whoami.stderr);
      assert.equal((JSON.parse(whoami.stdout) as { status: { userInfo: { username: string } } }).status.userInfo.username, 'viewer');
    });

    it('authenticates a client certificate (system:masters) from a kubeconfig', async function () {
      const kc = writeKubeconfigFor(fake, { certUser: { user: 'cert-admin', groups: ['system:masters'] }, path: join(kubectl.home, 'cert.kubeconfig') });
      const r = await kubectl.run(['get', 'namespaces', '-o', 'name'], { kubeconfig: kc });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /namespace\/kube-flannel/);
      assert.equal(fake.requests.filter((x) => x.user === 'cert-admin').length > 0, true);
    });

    it('drains a node: cordon, then evict a pod (protobuf Eviction body)', async function () {
      fake.store.put(
        makePod({ namespace: 'default', name: 'standalone', nodeName: 'worker-1', hostIP: '10.0.1.21', podIP: '10.244.1.50', template: { labels: { app: 'standalone' }, containers: [{ name: 'c', image: 'busybox' }] } }),
      );
      const r = await kubectl.run(['drain', 'worker-1', '--ignore-daemonsets', '--force', '--timeout=10s'], { kubeconfig: adminKubeconfig, timeoutMs: 20000 });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /node\/worker-1 cordoned/);
      assert.match(r.stdout, /evicting pod default\/standalone/);
      assert.match(r.stdout, /node\/worker-1 drained/);
      assert.equal((fake.store.get('nodes', undefined, 'worker-1')?.['spec'] as { unschedulable?: boolean }).unschedulable, true);
      assert.equal(fake.store.get('pods', 'default', 'standalone'), undefined);
      const u = await admin(['uncordon', 'worker-1']);
      assert.equal(u.code, 0, u.stderr);
    });
  });

  describe('over HTTP', function () {
    const auth = { token: ADMIN_TOKEN };

    it('returns Status bodies for 404 and 409', async function () {
      const nf = await http.request('/api/v1/namespaces/kube-system/configmaps/nope', auth);
      assert.equal(nf.status, 404);
      assert.deepEqual(nf.body, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'configmaps "nope" not found',
        reason: 'NotFound',
        details: { name: 'nope', kind: 'configmaps' },
        code: 404,
      });
      const ds = await http.request('/apis/apps/v1/namespaces/kube-system/daemonsets/nope', auth);
      assert.equal(ds.body.message, 'daemonsets.apps "nope" not found');
      assert.deepEqual(ds.body.details, { name: 'nope', group: 'apps', kind: 'daemonsets' });

      const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dup' }, data: { a: '1' } };
      const created = await http.request('/api/v1/namespaces/default/configmaps', { ...auth, method: 'POST', body });
      assert.equal(created.status, 201);
      assert.match(created.body.metadata.uid, /^[0-9a-f-]{36}$/);
      assert.match(created.body.metadata.resourceVersion, /^\d+$/);
      assert.match(created.body.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      const dup = await http.request('/api/v1/namespaces/default/configmaps', { ...auth, method: 'POST', body });
      assert.equal(dup.status, 409);
      assert.deepEqual(dup.body, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'configmaps "dup" already exists',
        reason: 'AlreadyExists',
        details: { name: 'dup', kind: 'configmaps' },
        code: 409,
      });

      const stale = { ...created.body, data: { a: '2' }, metadata: { ...created.body.metadata, resourceVersion: '1' } };
      const cf = await http.request('/api/v1/namespaces/default/configmaps/dup', { ...auth, method: 'PUT', body: stale });
      assert.equal(cf.status, 409);
      assert.equal(cf.body.reason, 'Conflict');
      assert.equal(cf.body.message, 'Operation cannot be fulfilled on configmaps "dup": the object has been modified; please apply your changes to the latest version and try again');

      const noNs = await http.request('/api/v1/namespaces/missing/configmaps', { ...auth, method: 'POST', body });
      assert.equal(noNs.status, 404);
      assert.equal(noNs.body.message, 'namespaces "missing" not found');

      const gen = await http.request('/api/v1/namespaces/default/configmaps', { ...auth, method: 'POST', body: { metadata: { generateName: 'gen-' } } });
      assert.equal(gen.status, 201);
      assert.match(gen.body.metadata.name, /^gen-[a-z0-9]{5}$/);
      assert.equal(gen.body.kind, 'ConfigMap');

      const bad = await http.request('/api/v1/namespaces/default/configmaps', { ...auth, method: 'POST', body: { metadata: { name: 'Bad_Name' } } });
      assert.equal(bad.status, 422);
      assert.equal(bad.body.reason, 'Invalid');
    });

    it('lists with kind, resourceVersion and label selectors', async function () {
      const r = await http.request('/api/v1/namespaces/kube-system/pods?labelSelector=k8s-app%20in%20(kube-dns,kube-proxy),pod-template-hash', auth);
      assert.equal(r.status, 200);
      assert.equal(r.body.kind, 'PodList');
      assert.equal(r.body.apiVersion, 'v1');
      assert.match(r.body.metadata.resourceVersion, /^\d+$/);
      assert.equal(r.body.items.length, 2);
      for (const p of r.body.items) {
        assert.equal(p.kind, 'Pod');
        assert.match(p.metadata.name, /^coredns-/);
      }
      const sec = await http.request('/api/v1/secrets?fieldSelector=type%3Dbootstrap.kubernetes.io%2Ftoken', auth);
      assert.deepEqual(sec.body.items.map((s: KubeObject) => s.metadata?.name), ['bootstrap-token-abcdef']);
      const notLinux = await http.request('/api/v1/nodes?labelSelector=kubernetes.io%2Fos!%3Dlinux', auth);
      assert.equal(notLinux.body.items.length, 0);
      const paged = await http.request('/api/v1/pods?limit=3', auth);
      assert.equal(paged.body.items.length, 3);
      assert.ok(paged.body.metadata.continue);
      const next = await http.request(`/api/v1/pods?limit=3&continue=${paged.body.metadata.continue}`, auth);
      assert.notEqual(next.body.items[0].metadata.name, paged.body.items[0].metadata.name);
    });

    it('serves discovery', async function () {
      const api = await http.request('/api', auth);
      assert.deepEqual(api.body.versions, ['v1']);
      const apis = await http.request('/apis', auth);
      const names = (apis.body.groups as Array<{ name: string }>).map((g) => g.name);
      for (const g of ['apps', 'rbac.authorization.k8s.io', 'node.k8s.io', 'policy', 'certificates.k8s.io', 'operator.tigera.io']) assert.ok(names.includes(g), g);
      const v1 = await http.request('/api/v1', auth);
      const pods = (v1.body.resources as Array<{ name: string; namespaced: boolean; kind: string }>).find((x) => x.name === 'pods/eviction');
      assert.deepEqual(pods && { namespaced: pods.namespaced, kind: pods.kind }, { namespaced: true, kind: 'Eviction' });
      const openapi = await http.request('/openapi/v2', auth);
      assert.equal(openapi.status, 404);
    });

    it('watches: initial ADDED, then ADDED/MODIFIED/DELETED, honouring selectors and resourceVersion', async function () {
      const list = await http.request('/api/v1/namespaces/default/configmaps', auth);
      const rv = list.body.metadata.resourceVersion as string;
      const w = http.watch(`/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}&labelSelector=team%3Dwin`, auth);
      const all = http.watch('/api/v1/namespaces/default/configmaps?watch=1&fieldSelector=metadata.name%3Dwatched', auth);
      assert.equal(await w.status, 200);
      const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'watched', labels: { team: 'win' } }, data: { v: '1' } };
      await http.request('/api/v1/namespaces/default/configmaps', { ...auth, method: 'POST', body });
      await http.request('/api/v1/namespaces/default/configmaps/watched', { ...auth, method: 'PATCH', contentType: 'application/merge-patch+json', body: { data: { v: '2' } } });
      await http.request('/api/v1/namespaces/default/configmaps/watched', { ...auth, method: 'PATCH', contentType: 'application/merge-patch+json', body: { metadata: { labels: { team: 'linux' } } } });
      await http.request('/api/v1/namespaces/default/configmaps/watched', { ...auth, method: 'DELETE' });
      const evs = await w.waitForEvents(3);
      assert.deepEqual(evs.map((e) => e.type), ['ADDED', 'MODIFIED', 'DELETED']); // leaving the selector is a DELETED
      assert.equal(evs[1]?.object.data.v, '2');
      assert.equal(evs[0]?.object.kind, 'ConfigMap');
      const evAll = await all.waitForEvents(4);
      assert.deepEqual(evAll.map((e) => e.type), ['ADDED', 'MODIFIED', 'MODIFIED', 'DELETED']);
      // Resume from the first event's resourceVersion: the later three are replayed.
      const resumed = http.watch(`/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${evAll[0]?.object.metadata.resourceVersion}&fieldSelector=metadata.name%3Dwatched`, auth);
      assert.deepEqual((await resumed.waitForEvents(3)).map((e) => e.type), ['MODIFIED', 'MODIFIED', 'DELETED']);
      w.close();
      all.close();
      resumed.close();

      // Without resourceVersion the current state comes first as ADDED; timeoutSeconds ends the stream.
      const t0 = Date.now();
      const initial = http.watch('/api/v1/nodes?watch=true&timeoutSeconds=1', auth);
      await initial.ended;
      assert.ok(Date.now() - t0 >= 900);
      assert.deepEqual(initial.events.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED cp-1', 'ADDED worker-1']);
    });

    it('patches with merge, strategic merge and JSON patch; status only through /status', async function () {
      const base = '/api/v1/namespaces/kube-system/configmaps/kube-proxy';
      const merge = await http.request(base, { ...auth, method: 'PATCH', contentType: 'application/merge-patch+json', body: { metadata: { annotations: { 'win-k8s.io/x': '1' } } } });
      assert.equal(merge.status, 200);
      assert.equal(merge.body.metadata.annotations['win-k8s.io/x'], '1');
      assert.ok(merge.body.data['config.conf']);

      const jp = await http.request(base, {
        ...auth,
        method: 'PATCH',
        contentType: 'application/json-patch+json',
        body: [
          { op: 'test', path: '/metadata/annotations/win-k8s.io~1x', value: '1' },
          { op: 'replace', path: '/metadata/annotations/win-k8s.io~1x', value: '2' },
          { op: 'add', path: '/data/extra', value: 'yes' },
        ],
      });
      assert.equal(jp.status, 200, jp.text);
      assert.equal(jp.body.metadata.annotations['win-k8s.io/x'], '2');
      assert.equal(jp.body.data.extra, 'yes');
      const failed = await http.request(base, { ...auth, method: 'PATCH', contentType: 'application/json-patch+json', body: [{ op: 'test', path: '/data/extra', value: 'no' }] });
      assert.equal(failed.status, 422);

      const ds = '/apis/apps/v1/namespaces/kube-system/daemonsets/kube-proxy';
      const smp = await http.request(ds, {
        ...auth,
        method: 'PATCH',
        contentType: 'application/strategic-merge-patch+json',
        body: { spec: { template: { spec: { containers: [{ name: 'kube-proxy', image: 'registry.k8s.io/kube-proxy:v1.33.3' }] } } } },
      });
      assert.equal(smp.status, 200);
      const c = smp.body.spec.template.spec.containers[0];
      assert.equal(c.image, 'registry.k8s.io/kube-proxy:v1.33.3');
      assert.ok(c.command.length > 0, 'strategic merge keeps the other container fields');
      assert.equal(smp.body.metadata.generation, 2);

      const node = '/api/v1/nodes/worker-1';
      const ignored = await http.request(node, { ...auth, method: 'PATCH', contentType: 'application/merge-patch+json', body: { status: { phase: 'X' } } });
      assert.equal(ignored.body.status.phase, undefined);
      const st = await http.request(`${node}/status`, { ...auth, method: 'PATCH', contentType: 'application/strategic-merge-patch+json', body: { status: { conditions: [{ type: 'Ready', status: 'False', reason: 'Test' }] }, metadata: { labels: { ignored: 'yes' } } } });
      assert.equal(st.status, 200);
      const ready = (st.body.status.conditions as Array<{ type: string; status: string }>).find((x) => x.type === 'Ready');
      assert.equal(ready?.status, 'False');
      assert.equal(st.body.status.conditions.length, 4, 'conditions merged by type');
      assert.equal(st.body.metadata.labels.ignored, undefined);
      await http.request(`${node}/status`, { ...auth, method: 'PATCH', contentType: 'application/strategic-merge-patch+json', body: { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }] } } });
    });

    it('authenticates bootstrap tokens: valid, expired, wrong secret', async function () {
      const ok = await http.request('/api/v1/nodes/cp-1', { token: BOOTSTRAP_TOKEN });
      assert.equal(ok.status, 200, ok.text);
      const cfg = await http.request('/api/v1/namespaces/kube-system/configmaps/kubeadm-config', { token: BOOTSTRAP_TOKEN });
      assert.equal(cfg.status, 200);
      const who = await http.request('/apis/authentication.k8s.io/v1/selfsubjectreviews', { token: BOOTSTRAP_TOKEN, method: 'POST', body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
      assert.deepEqual(who.body.status.userInfo, {
        username: 'system:bootstrap:abcdef',
        groups: ['system:bootstrappers', 'system:bootstrappers:kubeadm:default-node-token', 'system:authenticated'],
      });
      const denied = await http.request('/api/v1/namespaces/kube-system/secrets', { token: BOOTSTRAP_TOKEN });
      assert.equal(denied.status, 403);
      assert.equal(denied.body.message, 'secrets is forbidden: User "system:bootstrap:abcdef" cannot list resource "secrets" in API group "" in the namespace "kube-system"');

      const expired = fake.createBootstrapToken({ id: 'exp123', secret: '0123456789abcdef', expiration: '2020-01-01T00:00:00Z' });
      const e = await http.request('/api/v1/nodes/cp-1', { token: expired });
      assert.equal(e.status, 401);
      assert.deepEqual(e.body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
      const wrong = await http.request('/api/v1/nodes/cp-1', { token: 'abcdef.ffffffffffffffff' });
      assert.equal(wrong.status, 401);
      const unknown = await http.request('/api/v1/nodes/cp-1', { token: 'no-such-token' });
      assert.equal(unknown.status, 401);
    });

    it('lets anonymous users read only /version, health and cluster-info', async function () {
      assert.equal((await http.request('/version')).status, 200);
      assert.equal((await http.request('/healthz')).text, 'ok');
      const ci = await http.request('/api/v1/namespaces/kube-public/configmaps/cluster-info');
      assert.equal(ci.status, 200);
      assert.match(ci.body.data.kubeconfig, new RegExp(`server: ${fake.url}`));
      assert.ok(ci.body.data['jws-kubeconfig-abcdef']);
      assert.equal(ci.body.data.kubeconfig.includes(Buffer.from(fake.caPem).toString('base64')), true);
      const api = await http.request('/api');
      assert.equal(api.status, 403);
      assert.equal(api.body.message, 'forbidden: User "system:anonymous" cannot get path "/api"');
      const cm = await http.request('/api/v1/namespaces/kube-system/configmaps/kubeadm-config');
      assert.equal(cm.status, 403);
      assert.equal(cm.body.message, 'configmaps "kubeadm-config" is forbidden: User "system:anonymous" cannot get resource "configmaps" in API group "" in the namespace "kube-system"');
    });

    it('runs the kubelet TLS bootstrap: CSR auto-approved and signed, then the node registers itself', async function () {
      const { csrPem, keyPem } = generateKeyAndCsr('system:node:win-1', ['system:nodes']);
      const csr = await http.request('/apis/certificates.k8s.io/v1/certificatesigningrequests', {
        token: BOOTSTRAP_TOKEN,
        method: 'POST',
        body: {
          apiVersion: 'certificates.k8s.io/v1',
          kind: 'CertificateSigningRequest',
          metadata: { generateName: 'csr-' },
          spec: { request: Buffer.from(csrPem).toString('base64'), signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: ['digital signature', 'client auth'] },
        },
      });
      assert.equal(csr.status, 201, csr.text);
      assert.equal(csr.body.spec.username, 'system:bootstrap:abcdef');
      const name = csr.body.metadata.name as string;
      const w = http.watch(`/apis/certificates.k8s.io/v1/certificatesigningrequests?watch=true&fieldSelector=metadata.name%3D${name}`, { token: BOOTSTRAP_TOKEN });
      const deadline = Date.now() + 5000;
      let issued: string | undefined;
      while (!issued && Date.now() < deadline) {
        await w.waitForEvents(w.events.length + 1, deadline - Date.now());
        issued = w.events[w.events.length - 1]?.object.status?.certificate;
      }
      w.close();
      assert.ok(issued, 'certificate issued');
      const cert = { certPem: Buffer.from(issued, 'base64').toString('utf8'), keyPem };

      const node = await http.request('/api/v1/nodes', {
        cert,
        method: 'POST',
        body: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'win-1', labels: { 'kubernetes.io/os': 'windows' } }, status: { nodeInfo: { operatingSystem: 'windows' } } },
      });
      assert.equal(node.status, 201, node.text);
      const st = await http.request('/api/v1/nodes/win-1/status', { cert, method: 'PATCH', contentType: 'application/strategic-merge-patch+json', body: { status: { conditions: [{ type: 'Ready', status: 'True' }] } } });
      assert.equal(st.status, 200, st.text);
      const other = await http.request('/api/v1/nodes/cp-1', { cert, method: 'PATCH', contentType: 'application/merge-patch+json', body: { metadata: { labels: { x: 'y' } } } });
      assert.equal(other.status, 403);

      const viaToken = fake.approveAndIssueNodeCredentials('win-2');
      const n2 = await http.request('/api/v1/nodes', { token: viaToken.token, method: 'POST', body: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'win-2' } } });
      assert.equal(n2.status, 201);
      for (const n of ['win-1', 'win-2']) await http.request(`/api/v1/nodes/${n}`, { ...auth, method: 'DELETE' });
    });

    it('answers SelfSubjectAccessReviews with the same authorizer', async function () {
      const ssar = async (token: string, resourceAttributes: Record<string, string>) =>
        (
          await http.request('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
            token,
            method: 'POST',
            body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes } },
          })
        ).body;
      const adminReview = await ssar(ADMIN_TOKEN, { verb: 'create', resource: 'secrets', namespace: 'kube-system' });
      assert.equal(adminReview.kind, 'SelfSubjectAccessReview');
      assert.equal(adminReview.status.allowed, true);
      assert.match(adminReview.status.reason, /ClusterRoleBinding "kubeadm:cluster-admins"/);
      assert.equal((await ssar(VIEWER_TOKEN, { verb: 'create', resource: 'secrets', namespace: 'kube-system' })).status.allowed, false);
      assert.equal((await ssar(VIEWER_TOKEN, { verb: 'list', resource: 'nodes' })).status.allowed, true);
      assert.equal((await ssar(BOOTSTRAP_TOKEN, { verb: 'create', group: 'certificates.k8s.io', resource: 'certificatesigningrequests' })).status.allowed, true);
    });

    it('blocks an eviction with a PodDisruptionBudget (429) and allows it when the budget permits', async function () {
      for (const name of ['web-a', 'web-b']) {
        fake.store.put(makePod({ namespace: 'default', name, nodeName: 'worker-1', hostIP: '10.0.1.21', template: { labels: { app: 'web' }, containers: [{ name: 'web', image: 'nginx' }] } }));
      }
      const pdb = await http.request('/apis/policy/v1/namespaces/default/poddisruptionbudgets', {
        ...auth,
        method: 'POST',
        body: { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web' }, spec: { minAvailable: 2, selector: { matchLabels: { app: 'web' } } } },
      });
      assert.equal(pdb.status, 201);
      const evict = () =>
        http.request('/api/v1/namespaces/default/pods/web-a/eviction', {
          ...auth,
          method: 'POST',
          body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'web-a', namespace: 'default' } },
        });
      const blocked = await evict();
      assert.equal(blocked.status, 429);
      assert.deepEqual(blocked.body, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: "Cannot evict pod as it would violate the pod's disruption budget.",
        reason: 'TooManyRequests',
        details: { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget web needs 2 healthy pods and has 2 currently' }] },
        code: 429,
      });
      assert.ok(fake.store.get('pods', 'default', 'web-a'));
      await http.request('/apis/policy/v1/namespaces/default/poddisruptionbudgets/web', { ...auth, method: 'PATCH', contentType: 'application/merge-patch+json', body: { spec: { minAvailable: 1 } } });
      const ok = await evict();
      assert.equal(ok.status, 201);
      assert.equal(ok.body.status, 'Success');
      assert.equal(fake.store.get('pods', 'default', 'web-a'), undefined);
    });

    it('serves pod logs', async function () {
      const pod = fake.store.list('pods', { namespace: 'kube-flannel' })[0] as KubeObject;
      fake.setPodLog('kube-flannel', pod.metadata?.name ?? '', 'line1\nline2\nline3\n');
      const r = await http.request(`/api/v1/namespaces/kube-flannel/pods/${pod.metadata?.name}/log?tailLines=2`, auth);
      assert.equal(r.status, 200);
      assert.equal(r.text, 'line2\nline3\n');
    });

    it('injects faults, adds latency and logs requests without bodies', async function () {
      const fault = fake.injectFault({ verb: 'list', resource: 'nodes', status: 503, count: 2 });
      assert.equal((await http.request('/api/v1/nodes', auth)).status, 503);
      const second = await http.request('/api/v1/nodes', auth);
      assert.equal(second.status, 503);
      assert.equal(second.body.reason, 'ServiceUnavailable');
      assert.equal((await http.request('/api/v1/nodes', auth)).status, 200);
      assert.equal(fault.hits, 2);
      const reset = fake.injectFault({ action: 'reset', pathPrefix: '/api/v1/namespaces' });
      await assert.rejects(http.request('/api/v1/namespaces', auth));
      assert.equal(reset.remaining, 0);

      fake.latencyMs = 150;
      const t0 = Date.now();
      await http.request('/version');
      assert.ok(Date.now() - t0 >= 140);
      fake.latencyMs = 0;

      const entry = fake.requests.filter((r) => r.path === '/api/v1/nodes').at(-1);
      assert.equal(entry?.user, 'kubernetes-admin');
      assert.equal(entry?.verb, 'list');
      assert.equal(entry?.status, 200);
      assert.equal(JSON.stringify(fake.requests).includes('0123456789abcdef'), false, 'no tokens or bodies in the log');
    });

    it('honours finalizers, owner GC, graceful pod deletion, deletecollection, dryRun, CRDs and watch edge cases', async function () {
      const cms = '/api/v1/namespaces/default/configmaps';
      // dryRun=All stores nothing.
      const dry = await http.request(`${cms}?dryRun=All`, { ...auth, method: 'POST', body: { metadata: { name: 'dry' } } });
      assert.equal(dry.status, 201);
      assert.equal(fake.store.get('configmaps', 'default', 'dry'), undefined);

      // Finalizers: DELETE sets deletionTimestamp; removing the finalizer completes the deletion.
      await http.request(cms, { ...auth, method: 'POST', body: { metadata: { name: 'fin', finalizers: ['win-k8s.io/cleanup'] } } });
      const del = await http.request(`${cms}/fin`, { ...auth, method: 'DELETE' });
      assert.equal(del.status, 200);
      assert.ok(del.body.metadata.deletionTimestamp);
      assert.ok(fake.store.get('configmaps', 'default', 'fin'));
      await http.request(`${cms}/fin`, { ...auth, method: 'PATCH', contentType: 'application/merge-patch+json', body: { metadata: { finalizers: null } } });
      assert.equal(fake.store.get('configmaps', 'default', 'fin'), undefined);

      // Owner references: deleting the owner deletes dependents.
      const owner = await http.request(cms, { ...auth, method: 'POST', body: { metadata: { name: 'owner' } } });
      await http.request(cms, { ...auth, method: 'POST', body: { metadata: { name: 'dependent', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.body.metadata.uid }] } } });
      await http.request(`${cms}/owner`, { ...auth, method: 'DELETE' });
      assert.equal(fake.store.get('configmaps', 'default', 'dependent'), undefined);

      // deletecollection with a selector.
      for (const n of ['bulk-1', 'bulk-2']) await http.request(cms, { ...auth, method: 'POST', body: { metadata: { name: n, labels: { bulk: 'yes' } } } });
      const coll = await http.request(`${cms}?labelSelector=bulk%3Dyes`, { ...auth, method: 'DELETE' });
      assert.equal(coll.body.items.length, 2);
      assert.equal(fake.store.list('configmaps', { namespace: 'default', labelSelector: 'bulk=yes' }).length, 0);

      // Graceful pod deletion (opt-in): the pod stays until deleted with gracePeriodSeconds=0.
      fake.options.podGracefulDeletion = true;
      try {
        fake.store.put(makePod({ namespace: 'default', name: 'graceful', nodeName: 'worker-1', hostIP: '10.0.1.21', template: { labels: { app: 'g' }, containers: [{ name: 'c', image: 'busybox' }] } }));
        const g = await http.request('/api/v1/namespaces/default/pods/graceful', { ...auth, method: 'DELETE' });
        assert.equal(g.body.metadata.deletionGracePeriodSeconds, 30);
        assert.ok(fake.store.get('pods', 'default', 'graceful'));
        await http.request('/api/v1/namespaces/default/pods/graceful', { ...auth, method: 'DELETE', body: { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0 } });
        assert.equal(fake.store.get('pods', 'default', 'graceful'), undefined);
      } finally {
        fake.options.podGracefulDeletion = false;
      }

      // A CustomResourceDefinition becomes a served resource.
      const crd = await http.request('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
        ...auth,
        method: 'POST',
        body: {
          apiVersion: 'apiextensions.k8s.io/v1',
          kind: 'CustomResourceDefinition',
          metadata: { name: 'widgets.example.com' },
          spec: { group: 'example.com', scope: 'Namespaced', names: { plural: 'widgets', singular: 'widget', kind: 'Widget' }, versions: [{ name: 'v1', served: true, storage: true }] },
        },
      });
      assert.equal(crd.status, 201);
      const widget = await http.request('/apis/example.com/v1/namespaces/default/widgets', { ...auth, method: 'POST', body: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: 1 } } });
      assert.equal(widget.status, 201, widget.text);
      assert.ok(((await http.request('/apis', auth)).body.groups as Array<{ name: string }>).some((g) => g.name === 'example.com'));

      // sendInitialEvents ends the initial burst with a BOOKMARK; a trimmed history answers 410 Expired.
      const wl = http.watch('/api/v1/nodes?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan', auth);
      const initial = await wl.waitForEvents(3);
      wl.close();
      assert.deepEqual(initial.map((e) => e.type), ['ADDED', 'ADDED', 'BOOKMARK']);
      assert.equal(initial[2]?.object.metadata.annotations['k8s.io/initial-events-end'], 'true');
      const saved = fake.store.historyLimit;
      fake.store.historyLimit = 1;
      fake.store.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'trim', namespace: 'default' } });
      try {
        const old = http.watch('/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=1', auth);
        const [ev] = await old.waitForEvents(1);
        assert.equal(ev?.type, 'ERROR');
        assert.equal(ev?.object.code, 410);
        assert.equal(ev?.object.reason, 'Expired');
        await old.ended;
      } finally {
        fake.store.historyLimit = saved;
      }
    });

    it('emits store changes for simulated agents', async function () {
      const seen = fake.waitFor((ev) => ev.type === 'ADDED' && ev.resource.resource === 'pods' && ev.object.metadata?.name === 'agent-test');
      await http.request('/api/v1/namespaces/default/pods', { ...auth, method: 'POST', body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'agent-test' }, spec: { nodeName: 'worker-1', containers: [{ name: 'c', image: 'busybox' }] } } });
      const ev = await seen;
      assert.equal((ev.object['status'] as { phase: string }).phase, 'Pending');
      fake.store.put({ ...ev.object, status: { phase: 'Running' } });
      const got = await http.request('/api/v1/namespaces/default/pods/agent-test', auth);
      assert.equal(got.body.status.phase, 'Running');
    });
  });

  describe('with @kubernetes/client-node', function () {
    it('lists, creates, patches, watches and maps errors', async function () {
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(adminKubeconfig);
      const core = kc.makeApiClient(k8s.CoreV1Api);
      const nodes = await core.listNode();
      assert.deepEqual(nodes.items.map((n) => n.metadata?.name).slice(0, 2), ['cp-1', 'worker-1']);
      const cm = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'cn' }, data: { a: '1' } } });
      await assert.rejects(core.readNamespacedConfigMap({ namespace: 'default', name: 'nope' }), (e: { code?: number; body?: string }) => {
        assert.equal(e.code, 404);
        assert.equal((JSON.parse(e.body ?? '{}') as { reason: string }).reason, 'NotFound');
        return true;
      });
      const patched = await core.patchNode({ name: 'worker-1', body: { metadata: { labels: { cn: 'yes' } } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
      assert.equal(patched.metadata?.labels?.['cn'], 'yes');

      const seen: string[] = [];
      const watch = new k8s.Watch(kc);
      const req = await watch.watch('/api/v1/namespaces/default/configmaps', { resourceVersion: cm.metadata?.resourceVersion }, (type, obj: k8s.V1ConfigMap) => seen.push(`${type} ${obj.metadata?.name}`), () => undefined);
      await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'cn2' } } });
      await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'cn2' });
      await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'cn' });
      for (let i = 0; i < 50 && seen.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
      req.abort();
      assert.deepEqual(seen, ['ADDED cn2', 'DELETED cn2', 'DELETED cn']);

      const review = await kc.makeApiClient(k8s.AuthorizationV1Api).createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: { verb: 'create', resource: 'secrets', namespace: 'kube-system' } } } });
      assert.equal(review.status?.allowed, true);
      assert.equal((await kc.makeApiClient(k8s.VersionApi).getCode()).gitVersion, 'v1.33.2');
    });

    it('feeds an informer (list, then watch from the list resourceVersion)', async function () {
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(adminKubeconfig);
      const core = kc.makeApiClient(k8s.CoreV1Api);
      const informer = k8s.makeInformer(kc, '/api/v1/nodes', () => core.listNode());
      const events: string[] = [];
      informer.on('add', (n: k8s.V1Node) => events.push(`add ${n.metadata?.name}`));
      informer.on('update', (n: k8s.V1Node) => events.push(`update ${n.metadata?.name}`));
      await informer.start();
      const cp = fake.store.get('nodes', undefined, 'cp-1') as KubeObject;
      fake.store.put({ ...cp, metadata: { ...cp.metadata, annotations: { ...cp.metadata?.annotations, informer: 'seen' } } });
      for (let i = 0; i < 50 && !events.includes('update cp-1'); i++) await new Promise((r) => setTimeout(r, 20));
      await informer.stop();
      assert.deepEqual(events.slice(0, 2), ['add cp-1', 'add worker-1']);
      assert.ok(events.includes('update cp-1'), JSON.stringify(events));
    });
  });

  describe('fixtures', function () {
    const withFake = async (fx: ConstructorParameters<typeof FakeKubeApiServer>[0], fn: (f: FakeKubeApiServer, h: KubeHttpClient) => Promise<void>) => {
      const f = new FakeKubeApiServer(fx);
      await f.start();
      try {
        await fn(f, kubeHttpClient(f.url, f.caPem));
      } finally {
        await f.stop();
      }
    };

    it('flannelLinuxDefaults has vxlan without VNI/Port', async function () {
      await withFake(flannelLinuxDefaults({ linuxOnlyDaemonSet: false }), async (f) => {
        const cm = f.store.get('configmaps', 'kube-flannel', 'kube-flannel-cfg');
        const net = JSON.parse((cm?.['data'] as Record<string, string>)['net-conf.json'] ?? '{}') as { Backend: Record<string, unknown> };
        assert.deepEqual(net.Backend, { Type: 'vxlan' });
        assert.equal(f.store.get('daemonsets.apps', 'monitoring', 'node-exporter'), undefined);
      });
    });

    it('calico variants', async function () {
      await withFake(calico({ windowsDataplane: true }), async (f, h) => {
        const inst = await h.request('/apis/operator.tigera.io/v1/installations/default', { token: ADMIN_TOKEN });
        assert.equal(inst.body.spec.calicoNetwork.windowsDataplane, 'HNS');
        assert.deepEqual(inst.body.spec.serviceCIDRs, ['10.96.0.0/12']);
        assert.equal(inst.body.spec.calicoNetwork.ipPools[0].encapsulation, 'VXLAN');
        assert.ok(f.store.get('daemonsets.apps', 'calico-system', 'calico-node'));
      });
      await withFake(calico({ windowsDataplane: false }), async (f) => {
        const inst = f.store.get('installations.operator.tigera.io', undefined, 'default');
        assert.equal((inst?.['spec'] as { serviceCIDRs?: unknown }).serviceCIDRs, undefined);
      });
    });

    it('eks and aksLike', async function () {
      await withFake(eks(), async (f, h) => {
        const v = await h.request('/version');
        assert.equal(v.body.gitVersion, 'v1.33.5-eks-3025e55');
        assert.equal(v.body.minor, '33+');
        assert.ok(f.store.get('daemonsets.apps', 'kube-system', 'aws-node'));
        assert.ok(f.store.get('configmaps', 'kube-system', 'amazon-vpc-cni'));
        assert.equal(f.store.list('nodes', { labelSelector: 'eks.amazonaws.com/nodegroup' }).length, 2);
        assert.equal(f.store.get('configmaps', 'kube-public', 'cluster-info'), undefined);
      });
      await withFake(aksLike(), async (f) => {
        const nodes = f.store.list('nodes', { labelSelector: 'kubernetes.azure.com/cluster' });
        assert.equal(nodes.length, 2);
        assert.match((nodes[0]?.['spec'] as { providerID: string }).providerID, /^azure:\/\/\/subscriptions\/.+\/virtualMachineScaleSets\/.+\/virtualMachines\/0$/);
        assert.equal(f.gitVersion, 'v1.32.6');
      });
    });

    it('rbacDenied: the limited user cannot create secrets, daemonsets or runtimeclasses', async function () {
      await withFake(rbacDenied(), async (_f, h) => {
        const review = async (attrs: Record<string, string>) =>
          (await h.request('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { token: LIMITED_TOKEN, method: 'POST', body: { spec: { resourceAttributes: attrs } } })).body.status.allowed as boolean;
        assert.equal(await review({ verb: 'create', resource: 'secrets', namespace: 'kube-system' }), false);
        assert.equal(await review({ verb: 'create', group: 'apps', resource: 'daemonsets', namespace: 'kube-system' }), false);
        assert.equal(await review({ verb: 'create', group: 'node.k8s.io', resource: 'runtimeclasses' }), false);
        assert.equal(await review({ verb: 'list', resource: 'nodes' }), true);
        assert.equal(await review({ verb: 'get', resource: 'configmaps', namespace: 'kube-system' }), true);
      });
    });
  });
});
