import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADMIN_TOKEN, FakeKubeApiServer, healthyKubeadmFlannel, makeNode, writeKubeconfigFor, winK8sTokenSecrets } from '../fakes/kube-apiserver/index.js';
import { readBootstrapScript, startGceFake, writeSerial, type GceFake, type GceFakeSeed } from '../fakes/gce/index.js';
import { SimulatedNodeAgent } from '../fakes/node-agent/agent.js';
import type { JoinResult } from '../../src/pool/result.js';
import { loadProvider } from '../../src/cloud/load-provider.js';
import { ConfigFile } from '../../src/config/schema.js';
import { parseProviderId } from '../../src/cluster/provider-id.js';
import { askInit, renderInitConfig, type Prompter } from '../../src/init/wizard.js';

const bin = fileURLToPath(new URL('../../bin/win-k8s.js', import.meta.url));

const PROJECT = 'demo-proj';
const ZONE = 'europe-west1-b';
const REGION = 'europe-west1';
const SUBNET_RANGE = '10.20.0.0/20';
const SA_EMAIL = 'win-k8s@demo-proj.iam.gserviceaccount.com';
const NETWORK = `https://www.googleapis.com/compute/v1/projects/${PROJECT}/global/networks/k8s`;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

type Json = Record<string, unknown>;

/** A service account key file as the IAM console hands it out, for a key made here. */
function serviceAccountKey(dir: string, name: string): { path: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const path = joinPath(dir, `${name}.json`);
  writeFileSync(
    path,
    JSON.stringify({
      type: 'service_account',
      project_id: PROJECT,
      private_key_id: `${name}0123456789abcdef`,
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: SA_EMAIL,
      client_id: '100000000000000000001',
      auth_uri: 'https://accounts.google.com/o/oauth2/auth',
      token_uri: 'https://oauth2.googleapis.com/token',
    }),
    { mode: 0o600 },
  );
  return { path, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

describe('win-k8s join on GCP, end to end (fake Compute API + fake kube-apiserver + simulated nodes)', function () {
  this.timeout(120_000);
  let gce: GceFake;
  let fake: FakeKubeApiServer;
  let kubeconfig: string;
  let agent: SimulatedNodeAgent;
  let dir: string;
  let key: { path: string; publicKeyPem: string };
  let otherKey: { path: string; publicKeyPem: string };
  const outputs: string[] = [];

  const env = (overrides: Record<string, string> = {}) => ({
    PATH: process.env.PATH ?? '',
    // No gcloud configuration of this machine may take part: the key file is the only credential.
    HOME: dir,
    CLOUDSDK_CONFIG: joinPath(dir, 'gcloud'),
    GOOGLE_APPLICATION_CREDENTIALS: key.path,
    CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE: `http://127.0.0.1:${gce.port}/compute/v1/`,
    WIN_K8S_POLL_INTERVAL: '100',
    NO_COLOR: '1',
    ...overrides,
  });

  function cli(args: string[], overrides: Record<string, string> = {}, onSpawn?: (kill: (sig: NodeJS.Signals) => void) => void): Promise<Run> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [bin, ...args, '--kubeconfig', kubeconfig], { env: env(overrides), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      onSpawn?.((sig) => child.kill(sig));
      child.on('close', (code) => {
        outputs.push(stdout, stderr);
        resolve({ code, stdout, stderr });
      });
    });
  }

  const join = (args: string[]) => cli(['join', '--cloud', 'gcp', '--api-server', 'cp.example.internal:6443', '--yes', '-o', 'json', ...args]);

  /** win-k8s's instances of the cluster (optionally one pool), as the fake API holds them. */
  function instances(pool?: string): Json[] {
    return [...gce.instances.entries()]
      .filter(([k, i]) => k.startsWith(`${ZONE}/`) && labels(i)['win-k8s-cluster'] === 'kubernetes' && (pool === undefined || labels(i)['win-k8s-pool'] === pool))
      .map(([, i]) => i);
  }
  const labels = (i: Json) => (i.labels ?? {}) as Record<string, string>;
  const inserts = () => gce.requests.filter((r) => r.method === 'POST' && /\/zones\/[^/]+\/instances\?/.test(r.path));

  const seed = (): GceFakeSeed => ({
    project: PROJECT,
    zones: { [ZONE]: ['n2-standard-4', 'n2-standard-8', 'e2-standard-2', 'e2-micro'] },
    images: [
      { project: 'windows-cloud', name: 'windows-server-2022-dc-core-v20250101', family: 'windows-2022-core', diskSizeGb: 50, windows: true },
      { project: 'windows-cloud', name: 'windows-server-2022-dc-core-v20260101', family: 'windows-2022-core', diskSizeGb: 50, windows: true },
      { project: 'windows-cloud', name: 'windows-server-2022-dc-v20260101', family: 'windows-2022', diskSizeGb: 50, windows: true },
    ],
    networks: [
      {
        name: 'k8s',
        subnetworks: [
          { name: 'nodes', region: REGION, ipCidrRange: SUBNET_RANGE },
          { name: 'nodes-b', region: REGION, ipCidrRange: '10.30.0.0/24' },
        ],
      },
    ],
    instances: [{ name: 'cp-1', zone: ZONE, subnetwork: `projects/${PROJECT}/regions/${REGION}/subnetworks/nodes`, networkIP: '10.20.0.2' }],
    requireAuth: { publicKeyPem: key.publicKeyPem, clientEmail: SA_EMAIL },
  });

  before(async () => {
    dir = mkdtempSync(joinPath(tmpdir(), 'win-k8s-gcp-'));
    key = serviceAccountKey(dir, 'key');
    otherKey = serviceAccountKey(dir, 'other');
    gce = await startGceFake(seed());
    fake = new FakeKubeApiServer(healthyKubeadmFlannel({ linuxOnlyDaemonSet: false }));
    await fake.start();
    // The whole cluster runs on Compute Engine; placement comes from the control plane's providerID.
    for (const node of fake.store.list('nodes')) {
      const name = (node.metadata as { name: string }).name;
      (node.spec as { providerID: string }).providerID = `gce://${PROJECT}/${ZONE}/${name}`;
      fake.store.put(node);
    }
    kubeconfig = writeKubeconfigFor(fake, { token: ADMIN_TOKEN });
    agent = new SimulatedNodeAgent({
      fake,
      pollMs: 100,
      // The bootstrap writes its progress to COM1, which getSerialPortOutput serves.
      console: { append: (id, line) => writeSerial(gce, ZONE, id, `${line}\n`) },
      source: {
        list: async () => instances().filter((i) => i.status === 'RUNNING').map((i) => ({ id: String(i.name) })),
        script: async (id) => {
          const read = readBootstrapScript(gce, ZONE, id);
          if (!read) throw new Error(`instance ${id} has no startup script`);
          // The features phase installs the Hyper-V role, which needs the VT-x the instance shows only when created with nested virtualization.
          if (/^\s*HypervIsolation\s*=\s*\$true/m.test(read.script) && !gce.nestedVirtualization(ZONE, id)) {
            throw new Error('features: the Hyper-V role cannot be installed on this machine (the processor shows no virtualization extensions)');
          }
          // Pools "bad" and "bad2" boot with a token the cluster does not know.
          const pool = labels(gce.instances.get(`${ZONE}/${id}`) ?? {})['win-k8s-pool'];
          return pool === 'bad' || pool === 'bad2' ? read.script.replace(/^\$BootstrapToken = '[^']*'/m, "$BootstrapToken = 'zzzzzz.zzzzzzzzzzzzzzzz'") : read.script;
        },
      },
    });
    agent.start();
  });

  after(async () => {
    await agent?.stop();
    await fake?.stop();
    await gce?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  afterEach(function () {
    if (this.currentTest?.state !== 'failed') assert.deepEqual(gce.violations, [], 'every response of the fake matched compute.proto');
  });

  const bootstrapSecrets = () => winK8sTokenSecrets(fake);

  it('refuses to create anything without --yes and without a TTY (exit 2)', async () => {
    const r = await cli(['join', '--cloud', 'gcp', '--api-server', 'cp.example.internal:6443', '--count', '1']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--yes: confirmation needed/);
    assert.equal(inserts().length, 0);
  });

  it('--dry-run prints the plan and creates nothing', async () => {
    const r = await cli(['join', '--cloud', 'gcp', '--api-server', 'cp.example.internal:6443', '--count', '2', '--dry-run', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const plan = JSON.parse(r.stdout) as { nodes: unknown[]; target: { cloud: string; region: string } };
    assert.equal(plan.nodes.length, 2);
    assert.equal(plan.target.cloud, 'gcp');
    assert.equal(plan.target.region, REGION);
    assert.equal(inserts().length, 0);
  });

  it('credentials the API rejects, or none at all: exit 3 with what to do, nothing created', async () => {
    const before = gce.requests.length;
    const rejected = await cli(['join', '--cloud', 'gcp', '--api-server', 'cp.example.internal:6443', '--yes', '--pool', 'auth2', '--count', '1'], { GOOGLE_APPLICATION_CREDENTIALS: otherKey.path });
    assert.equal(rejected.code, 3, rejected.stderr);
    assert.match(rejected.stderr, /Google Cloud rejected the credentials/);
    assert.match(rejected.stderr, /gcloud auth application-default login/);
    const seen = gce.requests.slice(before);
    assert.ok(seen.length > 0 && seen.every((r) => r.principal === undefined), 'the other key was refused');
    const calls = gce.requests.length;
    const none = await cli(['join', '--cloud', 'gcp', '--api-server', 'cp.example.internal:6443', '--yes', '--pool', 'auth2', '--count', '1'], { GOOGLE_APPLICATION_CREDENTIALS: joinPath(dir, 'missing.json') });
    assert.equal(none.code, 3, none.stderr);
    assert.match(none.stderr, /no usable Google Cloud credentials/);
    assert.doesNotMatch(none.stderr, /Node\.js v|at GoogleAuth/, 'an error, not a crash');
    assert.equal(gce.requests.length, calls, 'no request without credentials');
    assert.deepEqual(instances('auth2'), []);
    assert.equal(gce.firewalls.has('win-k8s-kubernetes-auth2'), false);
  });

  it('join --count 3: three Ready nodes, labelled Shielded VMs without external IP, the pool firewall rule, and the token deleted', async () => {
    const before = gce.requests.length;
    const r = await join(['--pool', 'win', '--count', '3']);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as JoinResult;
    assert.equal(result.pool, 'win');
    assert.equal(result.cluster, 'kubernetes');
    assert.equal(result.nodes.length, 3);
    for (const n of result.nodes) {
      assert.equal(n.status, 'Ready', JSON.stringify(n));
      assert.match(n.name, /^win-[a-z0-9]{5}$/);
      // On GCE the instance name is the node name (and the Windows computer name).
      assert.equal(n.instanceId, n.name);
      assert.match(n.privateIp!, /^10\.20\.0\./);
      for (const phase of ['provision', 'boot', 'register', 'ready']) assert.equal(typeof n.phases[phase], 'number', `${n.name} lacks ${phase}`);
      const node = fake.store.get('nodes', undefined, n.name)!;
      assert.equal((node.metadata as { labels: Record<string, string> }).labels['win-k8s.io/pool'], 'win');
      const vm = gce.instances.get(`${ZONE}/${n.name}`)!;
      assert.deepEqual(labels(vm), { 'win-k8s-cluster': 'kubernetes', 'win-k8s-pool': 'win', 'win-k8s-node-name': n.name });
      assert.equal(vm.status, 'RUNNING');
      assert.match(String(vm.machineType), /\/zones\/europe-west1-b\/machineTypes\/n2-standard-4$/);
      const nic = (vm.networkInterfaces as Json[])[0]!;
      assert.equal(nic.networkIP, n.privateIp);
      assert.deepEqual(nic.accessConfigs ?? [], [], 'no external IP');
      assert.deepEqual(vm.shieldedInstanceConfig, { enableSecureBoot: true, enableVtpm: true, enableIntegrityMonitoring: true });
      assert.deepEqual((vm.tags as { items: string[] }).items, ['win-k8s-kubernetes-win']);
      const disk = (vm.disks as Json[])[0]!;
      assert.match(String((disk.initializeParams as Json).sourceImage), /projects\/windows-cloud\/global\/images\/windows-server-2022-dc-core-v20260101$/, 'the newest image of the family');
      // The node read its bootstrap from the metadata at boot; once its join was over, win-k8s took it out.
      assert.equal(agent.records.get(n.name)?.values?.nodeName, n.name, 'the node read its bootstrap');
      assert.equal(readBootstrapScript(gce, ZONE, n.name), undefined, 'the bootstrap (and its token) is no longer in the metadata');
      assert.deepEqual(gce.metadataKeys(ZONE, n.name), []);
    }
    const fw = gce.firewalls.get('win-k8s-kubernetes-win')!;
    assert.ok(fw, 'firewall rule win-k8s-kubernetes-win');
    assert.equal(fw.network, NETWORK);
    assert.deepEqual(fw.sourceRanges, [SUBNET_RANGE]);
    assert.deepEqual(fw.targetTags, ['win-k8s-kubernetes-win']);
    assert.deepEqual(fw.allowed, [
      { IPProtocol: 'tcp', ports: ['10250', '10256'] },
      { IPProtocol: 'udp', ports: ['4789'] },
    ]);
    assert.ok(fake.store.get('runtimeclasses.node.k8s.io', undefined, 'windows-2022'), 'RuntimeClass windows-2022');
    assert.deepEqual(bootstrapSecrets(), [], 'bootstrap token deleted');
    assert.equal(instances('win').length, 3);
    // Every call was made with the service account's self-signed JWT, none anonymously.
    const calls = gce.requests.slice(before);
    assert.equal(calls.filter((c) => c.method === 'POST' && /\/setMetadata\?/.test(c.path)).length, 3, 'one setMetadata per node');
    assert.ok(calls.length > 10);
    assert.deepEqual([...new Set(calls.map((c) => c.principal))], [SA_EMAIL]);
  });

  it('re-running tops the pool up from the labels instead of creating again', async () => {
    const before = inserts().length;
    const same = await join(['--pool', 'win', '--count', '3']);
    assert.equal(same.code, 0, same.stderr);
    assert.equal(inserts().length, before, 'nothing created');
    assert.ok((JSON.parse(same.stdout) as JoinResult).nodes.every((n) => n.existing && n.status === 'Ready'));
    const more = await join(['--pool', 'win', '--count', '4']);
    assert.equal(more.code, 0, more.stderr);
    assert.equal(inserts().length, before + 1);
    assert.equal(instances('win').length, 4);
    const nodes = (JSON.parse(more.stdout) as JoinResult).nodes;
    assert.equal(nodes.filter((n) => !n.existing).length, 1);
    assert.equal(nodes.filter((n) => n.status === 'Ready').length, 4);
  });

  it('list joins instances and Nodes, and marks orphans', async () => {
    fake.store.put(makeNode({ name: 'win-orphn', os: 'windows', internalIP: '10.20.0.200', labels: { 'win-k8s.io/pool': 'win' } }));
    try {
      const r = await cli(['list', '-o', 'json', '--cloud', 'gcp']);
      assert.equal(r.code, 0, r.stderr);
      const rows = JSON.parse(r.stdout).nodes as { name: string; pool: string; vmState: string; nodeStatus: string; instanceId: string | null; cloud: string }[];
      const win = rows.filter((x) => x.pool === 'win' && x.instanceId !== null);
      assert.equal(win.length, 4);
      for (const row of win) {
        assert.deepEqual({ cloud: row.cloud, vmState: row.vmState, nodeStatus: row.nodeStatus, instanceId: row.instanceId }, { cloud: 'gcp', vmState: 'running', nodeStatus: 'Ready', instanceId: row.name });
      }
      assert.ok(!rows.some((x) => x.name === 'cp-1'), 'the control plane is not win-k8s\'s');
      const orphan = rows.find((x) => x.name === 'win-orphn');
      assert.equal(orphan?.vmState, 'Missing');
      assert.equal(orphan?.instanceId, null);
      const text = await cli(['list', '--cloud', 'gcp']);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /win-orphn\s+win\s+gcp\s+-\s+Missing/);
      assert.match(text.stdout, new RegExp(`${win[0]!.name}\\s+win\\s+gcp\\s+${win[0]!.name}\\s+running\\s+Ready`));
    } finally {
      fake.store.remove('nodes', undefined, 'win-orphn');
    }
  });

  it('rate limits (rateLimitExceeded on 403, userRateLimitExceeded on 429) are retried and the join still succeeds', async () => {
    const before = gce.requests.length;
    gce.faults.rateLimit(2, 403, 'rateLimitExceeded');
    const r = await join(['--pool', 'thr', '--count', '1']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Compute Engine is rate-limiting API calls \(rateLimitExceeded\); retrying with backoff/);
    assert.equal((JSON.parse(r.stdout) as JoinResult).nodes[0]!.status, 'Ready');
    gce.faults.rateLimit(2, 429, 'userRateLimitExceeded');
    const r2 = await join(['--pool', 'thr', '--count', '2']);
    assert.equal(r2.code, 0, r2.stderr);
    assert.match(r2.stderr, /Compute Engine is rate-limiting API calls \(userRateLimitExceeded\)/);
    assert.equal((JSON.parse(r2.stdout) as JoinResult).nodes.filter((n) => n.status === 'Ready').length, 2);
    assert.equal(instances('thr').length, 2);
    // The refused first call was made again, not skipped.
    const calls = gce.requests.slice(before);
    assert.equal(calls[0]!.path, calls[1]!.path);
  });

  it('errors inside DONE insert operations (quota, zone capacity): those nodes Failed with what to do, the other Ready, exit 1', async () => {
    gce.faults.operationError(/^part-/, 'QUOTA_EXCEEDED', "Quota 'N2_CPUS' exceeded.  Limit: 24.0 in region europe-west1.");
    gce.faults.operationError(/^part-/, 'ZONE_RESOURCE_POOL_EXHAUSTED', "The zone 'projects/demo-proj/zones/europe-west1-b' does not have enough resources available to fulfill the request.  Try a different zone, or try again later.");
    const r = await join(['--pool', 'part', '--count', '3']);
    assert.equal(r.code, 1, r.stderr);
    const result = JSON.parse(r.stdout) as JoinResult;
    const failed = result.nodes.filter((n) => n.status === 'Failed');
    assert.equal(failed.length, 2, JSON.stringify(result.nodes));
    const errors = failed.map((n) => n.error!).sort();
    assert.match(errors.find((e) => /quota/i.test(e)) ?? '', /quota exceeded \(Quota 'N2_CPUS' exceeded.*Ask for more quota .*region europe-west1; for CPUs, those of n2-standard-4;.*fewer or smaller nodes/);
    assert.match(errors.find((e) => /capacity/.test(e)) ?? '', /zone europe-west1-b has no capacity for n2-standard-4 right now.*--zone.*--instance-type/);
    for (const n of failed) assert.equal(n.instanceId, null, 'no instance exists for a failed insert');
    assert.equal(result.nodes.filter((n) => n.status === 'Ready').length, 1);
    assert.equal(instances('part').length, 1);
    assert.deepEqual(bootstrapSecrets(), []);
  });

  it('a broken token fails on the failure line with the serial port tail; --on-failure delete removes the VM and the empty pool\'s firewall rule', async () => {
    // A 10-minute timeout: each run ends on its failure line, long before it.
    const [r, del] = await Promise.all([join(['--pool', 'bad', '--count', '1', '--timeout', '10m']), join(['--pool', 'bad2', '--count', '1', '--timeout', '10m', '--on-failure', 'delete'])]);
    assert.equal(r.code, 1, r.stderr);
    const [node] = (JSON.parse(r.stdout) as JoinResult).nodes;
    assert.equal(node!.status, 'Failed');
    assert.match(node!.error!, /^bootstrap failed; last bootstrap lines:[\s\S]*win-k8s: join failed kubeadm join: the bootstrap token was refused/);
    assert.match(r.stderr, /win-k8s remove bad-[a-z0-9]{5} --cloud gcp --yes/);
    assert.equal(instances('bad').length, 1, 'kept for inspection');
    assert.equal(del.code, 1, del.stderr);
    const [gone] = (JSON.parse(del.stdout) as JoinResult).nodes;
    assert.equal(gone!.status, 'Failed');
    assert.match(gone!.error!, /win-k8s: join failed[\s\S]*VM deleted/);
    assert.deepEqual(instances('bad2'), []);
    assert.equal(gce.firewalls.has('win-k8s-kubernetes-bad2'), false, 'the empty pool\'s firewall rule went too');
    assert.equal(gce.firewalls.has('win-k8s-kubernetes-bad'), true, 'pool bad still has its VM');
  });

  it('provision: VMs that run the bootstrap without joining end Provisioned; no token is created', async () => {
    const secretsBefore = fake.requests.filter((e) => e.method === 'POST' && e.path.endsWith('/secrets')).length;
    const r = await cli(['provision', '--cloud', 'gcp', '--api-server', 'cp.example.internal:6443', '--yes', '-o', 'json', '--pool', 'prov', '--count', '2']);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as JoinResult;
    assert.deepEqual(result.nodes.map((n) => n.status), ['Provisioned', 'Provisioned']);
    for (const n of result.nodes) {
      assert.equal(fake.store.get('nodes', undefined, n.name), undefined, 'not joined');
      assert.match(gce.serialPort.get(`${ZONE}/${n.name}`) ?? '', /win-k8s: complete done/);
    }
    assert.equal(fake.requests.filter((e) => e.method === 'POST' && e.path.endsWith('/secrets')).length, secretsBefore);
    assert.equal(instances('prov').length, 2);
  });

  it('Ctrl-C while an insert is running: stops, deletes the token, names the instance that keeps starting, exits 130', async () => {
    // Operations stay RUNNING for a while, so the interrupt lands while an insert is waited for.
    gce.faults.slowOperations(15);
    let r: Run;
    try {
      r = await cli(['join', '--cloud', 'gcp', '--api-server', 'cp.example.internal:6443', '--yes', '--pool', 'intr', '--count', '1'], {}, (kill) => {
        const t = setInterval(() => {
          if (instances('intr').length > 0) {
            clearInterval(t);
            kill('SIGINT');
          }
        }, 10);
      });
    } finally {
      gce.faults.slowOperations(0);
    }
    assert.equal(r.code, 130, r.stderr);
    const [vm] = instances('intr');
    assert.ok(vm, 'the accepted insert created the instance');
    assert.match(r.stderr, new RegExp(`interrupted; the bootstrap token was deleted. VMs that exist: ${String(vm.name)} \\(${String(vm.name)}\\)`));
    assert.match(r.stderr, /win-k8s remove --pool intr --yes/);
    assert.deepEqual(bootstrapSecrets(), []);
  });

  it('init\'s cloud choices come from the Compute API (the region\'s subnetworks, usable machine types) and the config it writes joins there', async () => {
    // `init` needs a terminal, so its steps run here: the same loadProvider + wizardChoices it
    // calls, with the credentials the CLI would find, then scripted answers.
    const saved = process.env.GOOGLE_APPLICATION_CREDENTIALS;
    process.env.GOOGLE_APPLICATION_CREDENTIALS = key.path;
    let text: string;
    try {
      const placement = parseProviderId(`gce://${PROJECT}/${ZONE}/cp-1`);
      const provider = await loadProvider('gcp', ConfigFile.parse({}), placement, () => undefined, env());
      const choices = await provider.wizardChoices!({ controlPlane: placement });
      const subnet = (name: string) => `https://www.googleapis.com/compute/v1/projects/${PROJECT}/regions/${REGION}/subnetworks/${name}`;
      assert.deepEqual(choices.subnets.map((x) => [x.id, x.cidr, x.network]), [[subnet('nodes'), SUBNET_RANGE, NETWORK], [subnet('nodes-b'), '10.30.0.0/24', NETWORK]]);
      assert.deepEqual(choices.instanceTypes, ['n2-standard-4', 'e2-standard-2', 'n2-standard-8'], 'the default first, too-small types left out');
      const asked: string[] = [];
      const answers: Record<string, string> = { Cloud: 'gcp', Zone: ZONE, 'Pool name': 'ini', 'Number of Windows nodes': '1', Subnet: subnet('nodes-b'), 'Instance type': 'n2-standard-8' };
      const answer = (message: string, offered?: string) => {
        asked.push(message);
        return Object.entries(answers).find(([k]) => message.startsWith(k))?.[1] ?? offered ?? '';
      };
      const prompter: Prompter = {
        select: async (message, options, offered) => {
          const a = answer(message, offered);
          assert.ok(options.some((o) => o.value === a), `${a} is not offered for ${message}`);
          return a as never;
        },
        input: async (message, offered, validate) => {
          const a = answer(message, offered);
          assert.equal(validate ? validate(a) : true, true, message);
          return a;
        },
      };
      text = renderInitConfig(await askInit(prompter, undefined, async (cloud) => (cloud === 'gcp' ? choices : undefined)), undefined);
      assert.ok(asked.includes('Subnet') && asked.includes('Instance type'));
    } finally {
      if (saved === undefined) delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
      else process.env.GOOGLE_APPLICATION_CREDENTIALS = saved;
    }
    const file = joinPath(dir, 'win-k8s.yaml');
    writeFileSync(file, text);
    const r = await cli(['join', '-c', file, '--api-server', 'cp.example.internal:6443', '--yes', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const [node] = (JSON.parse(r.stdout) as JoinResult).nodes;
    assert.equal(node!.status, 'Ready');
    assert.match(node!.name, /^ini-/);
    const vm = gce.instances.get(`${ZONE}/${node!.name}`)!;
    assert.match(String(vm.machineType), /\/machineTypes\/n2-standard-8$/);
    assert.match(String((vm.networkInterfaces as Json[])[0]!.subnetwork), /\/subnetworks\/nodes-b$/);
    // The control plane (in subnetwork nodes) must reach the kubelet and the VXLAN port of nodes in nodes-b.
    assert.deepEqual(gce.firewalls.get('win-k8s-kubernetes-ini')?.sourceRanges, ['10.30.0.0/24', SUBNET_RANGE]);
  });

  it('--hyperv-isolation: refused as unsupported by Compute Engine unless --allow-unsupported; then a machine type without nested virtualization is refused before anything exists (exit 2), and the default gets it turned on and joins', async () => {
    const before = inserts().length;
    const unsupported = await join(['--pool', 'hve', '--count', '1', '--hyperv-isolation']);
    assert.equal(unsupported.code, 2, unsupported.stderr);
    assert.match(unsupported.stderr, /--hyperv-isolation: Hyper-V isolation is not supported on Compute Engine/);
    const refused = await join(['--pool', 'hve', '--count', '1', '--hyperv-isolation', '--allow-unsupported', '--instance-type', 'e2-standard-2']);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /--instance-type: machine type e2-standard-2 cannot run nested virtualization/);
    assert.match(refused.stderr, /n2-standard-2/);
    assert.equal(inserts().length, before);
    assert.equal(gce.firewalls.has('win-k8s-kubernetes-hve'), false);
    assert.deepEqual(bootstrapSecrets(), []);
    const r = await join(['--pool', 'hv', '--count', '1', '--hyperv-isolation', '--allow-unsupported']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Linux KVM as the only hypervisor/);
    const [node] = (JSON.parse(r.stdout) as JoinResult).nodes;
    assert.equal(node!.status, 'Ready', JSON.stringify(node));
    assert.deepEqual(gce.instances.get(`${ZONE}/${node!.name}`)!.advancedMachineFeatures, { enableNestedVirtualization: true });
    assert.equal(readBootstrapScript(gce, ZONE, node!.name), undefined);
  });

  it('remove <names> and remove --pool drain, delete Nodes and instances, then the emptied pools\' firewall rules: nothing is left', async () => {
    const unknown = await cli(['remove', 'win-nope1', '--cloud', 'gcp', '--yes']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /not managed by win-k8s in cluster kubernetes: win-nope1/);
    // By name: the kept TimedOut node of pool "bad", and every node of five more pools.
    const named = ['bad', 'thr', 'part', 'prov', 'ini', 'intr', 'hv'].flatMap((pool) => instances(pool).map((i) => labels(i)['win-k8s-node-name']!));
    assert.equal(named.length, 1 + 2 + 1 + 2 + 1 + 1 + 1);
    const byName = await cli(['remove', ...named, '--cloud', 'gcp', '--yes', '-o', 'json']);
    assert.equal(byName.code, 0, byName.stderr);
    const removed = JSON.parse(byName.stdout) as { removed: { name: string; instanceId: string }[]; deletedResources: string[] };
    assert.deepEqual(removed.removed.map((x) => [x.name, x.instanceId]), named.map((n) => [n, n]));
    assert.deepEqual(removed.deletedResources.sort(), ['win-k8s-kubernetes-bad', 'win-k8s-kubernetes-hv', 'win-k8s-kubernetes-ini', 'win-k8s-kubernetes-intr', 'win-k8s-kubernetes-part', 'win-k8s-kubernetes-prov', 'win-k8s-kubernetes-thr']);
    const byPool = await cli(['remove', '--pool', 'win', '--cloud', 'gcp', '--yes', '-o', 'json']);
    assert.equal(byPool.code, 0, byPool.stderr);
    const pool = JSON.parse(byPool.stdout) as { removed: { name: string; node: string; vm: string }[]; deletedResources: string[] };
    assert.equal(pool.removed.length, 4);
    assert.ok(pool.removed.every((x) => x.node === 'deleted' && x.vm === 'terminated'), JSON.stringify(pool.removed));
    assert.deepEqual(pool.deletedResources, ['win-k8s-kubernetes-win']);
    assert.deepEqual(instances(), []);
    assert.ok(gce.instances.has(`${ZONE}/cp-1`), 'the control plane instance is untouched');
    assert.deepEqual([...gce.firewalls.keys()], []);
    assert.equal(fake.store.list('nodes').filter((n) => (n.metadata as { labels?: Record<string, string> }).labels?.['win-k8s.io/pool']).length, 0);
  });

  it('no bootstrap token ever appeared in any output', () => {
    const tokens = [...agent.records.values()].map((r) => r.values?.token).filter((t): t is string => Boolean(t) && !t!.startsWith('zzzzzz'));
    assert.ok(tokens.length >= 7, `saw ${tokens.length} tokens`);
    for (const token of tokens) {
      const secret = token.split('.')[1]!;
      for (const text of outputs) assert.ok(!text.includes(secret), 'a bootstrap token secret reached stdout or stderr');
    }
  });
});
