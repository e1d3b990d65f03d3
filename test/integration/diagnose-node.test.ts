import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FakeKubeApiServer, KubeObject, PodOutcome } from '../fakes/kube-apiserver/index.js';
import { diag, healthy, putHealthyWindowsNode, runDiagnose, withFake } from '../helpers/diagnose.js';
import { parsePowerShell } from '../helpers/powershell.js';
import { readTemplate } from '../../src/bootstrap/templates.js';
import { parseCollectedFiles, redact } from '../../src/diagnose/bundle.js';
import { HOSTPROCESS_IMAGE } from '../../src/diagnose/node-exec.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/node-checks/${name}.json`, import.meta.url), 'utf8');
const asLog = (json: string) => `Windows PowerShell\r\nWIN-K8S-NODE-REPORT-BEGIN\r\n${json}\r\nWIN-K8S-NODE-REPORT-END\r\n`;
const FAKE_TOKEN = 'abcdef.0123456789abcdef';
const LAST_APPLIED_SECRET = 'db-pass-from-last-applied';
/** Secrets as they sit in files the log collector packs: base64 user:pass, quoted passwords with spaces, tokens. */
const BUNDLE_SECRETS = ['cm9ib3Q6bXkgc2VjcmV0IHBhc3M=', 'my secret pass', 'secret pass', 'idtok-4242', 'regtok-4242', 'dXNlcjpodW50ZXIy', 'azure-sp-secret-4242'];
const CONTAINERD_TOML = [
  'version = 2',
  '[plugins."io.containerd.grpc.v1.cri".registry.configs."myreg.example:5000".auth]',
  '  username = "robot"',
  '  password = "my secret pass"',
  '  auth = "cm9ib3Q6bXkgc2VjcmV0IHBhc3M="',
  "  identitytoken = 'idtok-4242'",
  '',
].join('\n');
const DOCKER_JSON = JSON.stringify({ auths: { 'myreg.example': { auth: 'cm9ib3Q6bXkgc2VjcmV0IHBhc3M=', registrytoken: 'regtok-4242' } } }, null, 2);
const HTTP_LOG = 'I1128 GET https://myreg.example/v2/ Authorization: Basic dXNlcjpodW50ZXIy\nI1128 cloud config client_secret: "azure-sp-secret-4242"\n';

/** What collect-logs.ps1 prints for one file. */
function collected(name: string, text: string): string {
  const b64 = gzipSync(Buffer.from(text)).toString('base64');
  return [`WIN-K8S-FILE-BEGIN ${name}`, ...(b64.match(/.{1,4000}/g) ?? []), `WIN-K8S-FILE-END ${name}`].join('\n');
}

type Script = (pod: KubeObject, node: string) => PodOutcome | undefined;

/** A kubelet that runs the node-checks HostProcess pods with recorded script outputs. */
function nodeAgent(outputs: Record<string, string | { pending: string }>, seen: KubeObject[] = [], moreFiles: Record<string, string> = {}): Script {
  return (pod, node) => {
    if (pod.metadata?.labels?.['win-k8s.io/node-checks'] !== 'true') return undefined;
    seen.push(pod);
    const out = outputs[node];
    if (out === undefined) return undefined;
    if (typeof out !== 'string') return { pending: { reason: 'ContainerCreating', eventReason: 'FailedCreatePodSandBox', message: out.pending } };
    return {
      containers: {
        'node-checks': { exitCode: 0, log: out },
        collect: { exitCode: 0, log: [collected('kubelet/kubelet.log', `I1128 kubelet started\nE1128 bootstrap with --token=${FAKE_TOKEN}\n`), collected('bootstrap/bootstrap.log', 'win-k8s: join ok\n'), ...Object.entries(moreFiles).map(([n, t]) => collected(n, t))].join('\n') },
      },
    };
  };
}

const namespaces = (fake: FakeKubeApiServer) => fake.store.list('namespaces').filter((n) => n.metadata?.name?.startsWith('win-k8s-diagnose-'));

describe('diagnose on-node checks (HostProcess pods, run-command fallback, --bundle)', function () {
  this.timeout(60_000);

  it('the log collector script parses without errors, and its output reads back', () => {
    assert.deepEqual(parsePowerShell(readTemplate('diagnose/collect-logs.ps1')), []);
    const files = parseCollectedFiles(`noise\n${collected('kubelet/kubelet.log', 'line 1\nline 2\n')}\nWIN-K8S-FILE-ERROR containerd/containerd.log Access denied\nWIN-K8S-FILE-BEGIN cni/x.conf\nAAAA`);
    assert.equal(files.length, 3);
    assert.deepEqual(files[0], { name: 'kubelet/kubelet.log', data: Buffer.from('line 1\nline 2\n') });
    assert.deepEqual(files[1], { name: 'containerd/containerd.log', error: 'Access denied' });
    assert.match((files[2] as { error: string }).error, /truncated/);
  });

  it('runs the script in a HostProcess pod per containerd node and reads each report', async () => {
    const seen: KubeObject[] = [];
    await withFake(
      healthy(),
      async (fake, kc) => {
        putHealthyWindowsNode(fake, 'win-1', { octet: 21 });
        putHealthyWindowsNode(fake, 'win-2', { octet: 22 });
        let enforce: string | undefined;
        const onNs = (ev: { type: string; object: KubeObject; resource: { resource: string } }) => {
          if (ev.resource.resource === 'namespaces' && ev.type === 'ADDED') enforce = ev.object.metadata?.labels?.['pod-security.kubernetes.io/enforce'];
        };
        fake.store.on('change', onNs);
        const r = await diag(kc, ['--skip-probes', '--checks', 'cluster.windows-nodes,node.host.*', '--probe-timeout', '5s'], { inCluster: true });
        fake.store.off('change', onNs);
        assert.equal(enforce, 'privileged', 'HostProcess pods need the privileged Pod Security level in their namespace');
        assert.equal(r.check('node.host.report', 'win-1').status, 'pass', r.check('node.host.report', 'win-1').message);
        const lb = r.check('node.host.lb-policies', 'win-2');
        assert.equal(lb.status, 'fail', lb.message);
        assert.match(lb.hint ?? '', /kube-proxy/);
        assert.equal(r.code, 1);
        assert.deepEqual(namespaces(fake), []);
        const created = fake.requests.find((q) => q.method === 'POST' && q.path === '/api/v1/namespaces');
        assert.ok(created);
      },
      { run: nodeAgent({ 'win-1': asLog(fixture('healthy-containerd-flannel')), 'win-2': asLog(fixture('broken-kube-proxy-hns')) }, seen) },
    );
    const pod = seen.find((p) => p.spec !== undefined && (p.spec as { nodeName: string }).nodeName === 'win-1')!;
    const spec = pod['spec'] as { hostNetwork: boolean; securityContext: { windowsOptions: { hostProcess: boolean; runAsUserName: string } }; containers: Array<{ image: string; command: string[] }> };
    assert.equal(spec.hostNetwork, true);
    assert.deepEqual(spec.securityContext.windowsOptions, { hostProcess: true, runAsUserName: 'NT AUTHORITY\\SYSTEM' });
    assert.equal(spec.containers[0]!.image, HOSTPROCESS_IMAGE);
    const command = spec.containers[0]!.command.at(-1)!;
    assert.match(command, /-NetworkName 'flannel\.4096' -NetworkType 'Overlay' -DnsServiceIp '10\.96\.0\.10' -PodCidr '10\.244\.21\.0\/24'/);
    assert.deepEqual(parsePowerShell(command), [], 'the invocation is valid PowerShell');
  });

  it('a HostProcess pod that never starts, and output without a report, fail node.host.report with the reason', async () => {
    await withFake(
      healthy(),
      async (fake, kc) => {
        putHealthyWindowsNode(fake, 'win-1', { octet: 21 });
        putHealthyWindowsNode(fake, 'win-2', { octet: 22 });
        const r = await diag(kc, ['--skip-probes', '--checks', 'cluster.windows-nodes,node.host.*', '--probe-timeout', '1s'], { inCluster: true });
        const stuck = r.check('node.host.report', 'win-1');
        assert.equal(stuck.status, 'fail');
        assert.match(stuck.message, /not started after 1s.*hcs::CreateComputeSystem/);
        const garbled = r.check('node.host.report', 'win-2');
        assert.equal(garbled.status, 'fail');
        assert.match(garbled.message, /no report/i);
        assert.match(r.check('node.host.lb-policies', 'win-2').message, /skipped/);
        assert.deepEqual(namespaces(fake), []);
      },
      { run: nodeAgent({ 'win-1': { pending: 'hcs::CreateComputeSystem: The request is not supported.' }, 'win-2': 'Access is denied.\r\n' }) },
    );
  });

  it('Docker nodes not created by win-k8s are skipped with the reason; --skip-node-checks creates nothing', async () => {
    await withFake(
      healthy(),
      async (fake, kc) => {
        putHealthyWindowsNode(fake, 'win-d', { octet: 23, runtime: 'docker://20.10.24' });
        const r = await diag(kc, ['--skip-probes', '--checks', 'cluster.windows-nodes,node.host.*'], { inCluster: true });
        const c = r.check('node.host.report', 'win-d');
        assert.equal(c.status, 'skip');
        assert.match(c.message, /docker node cannot run HostProcess pods.*only on VMs win-k8s created/);
        const before = fake.requests.filter((q) => q.method === 'POST' && q.path.endsWith('/pods')).length;
        const skipped = await diag(kc, ['--skip-probes', '--skip-node-checks', '--checks', 'cluster.windows-nodes,node.host.*'], { inCluster: true });
        assert.equal(skipped.check('node.host.report', 'win-d').status, 'skip');
        assert.equal(fake.requests.filter((q) => q.method === 'POST' && q.path.endsWith('/pods')).length, before);
      },
      {},
    );
  });

  it('--bundle writes a tar.gz with results, reports, logs and objects, secrets redacted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'diagnose-bundle-'));
    const file = join(dir, 'support.tar.gz');
    // A bundle from an earlier run, world-readable: the new one must not inherit its mode.
    writeFileSync(file, 'old bundle', { mode: 0o644 });
    chmodSync(file, 0o644);
    await withFake(
      healthy(),
      async (fake, kc) => {
        putHealthyWindowsNode(fake, 'win-1', { octet: 21 });
        const pod = fake.store.get('pods', 'default', 'web-win-1')!;
        ((pod['spec'] as { containers: Array<{ env?: unknown[] }> }).containers[0]!).env = [{ name: 'JOIN_TOKEN', value: FAKE_TOKEN }];
        // kubectl apply keeps the whole manifest, env values included, in this annotation.
        (pod['metadata'] as { annotations?: Record<string, string> }).annotations = {
          'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ spec: { containers: [{ name: 'web', env: [{ name: 'DB_PASSWORD', value: LAST_APPLIED_SECRET }] }] } }),
          'example.com/owner': 'team-web',
        };
        fake.store.put(pod);
        const r = await runDiagnose(['--kubeconfig', kc, '-o', 'json', '--skip-probes', '--checks', 'cluster.windows-nodes,node.*', '--bundle', file]);
        assert.ok(r.code === 0 || r.code === 1, r.stderr);
        assert.ok(!r.stdout.includes(FAKE_TOKEN) && !r.stderr.includes(FAKE_TOKEN));
      },
      { run: nodeAgent({ 'win-1': asLog(fixture('healthy-containerd-flannel')) }, [], { 'containerd/config.toml': CONTAINERD_TOML, 'docker/config.json': DOCKER_JSON, 'kubelet/http.log': HTTP_LOG }) },
    );
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const out = join(dir, 'x');
    execFileSync('mkdir', [out]);
    execFileSync('tar', ['-xzf', file, '-C', out]);
    const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name).slice(out.length + 1)]));
    const files = walk(out).sort();
    for (const f of ['README.txt', 'cluster/events.yaml', 'cluster/nodes.yaml', 'cluster/pods.yaml', 'diagnose.json', 'nodes/win-1/logs/bootstrap/bootstrap.log', 'nodes/win-1/logs/kubelet/kubelet.log', 'nodes/win-1/node-report.json']) {
      assert.ok(files.includes(f), `${f} in ${files.join(', ')}`);
    }
    const all = files.map((f) => readFileSync(join(out, f), 'utf8')).join('\n');
    assert.ok(!all.includes(FAKE_TOKEN), 'the token was redacted');
    for (const s of [...BUNDLE_SECRETS, LAST_APPLIED_SECRET]) assert.ok(!all.includes(s), `${s} was redacted`);
    const pods = readFileSync(join(out, 'cluster/pods.yaml'), 'utf8');
    assert.ok(!pods.includes('last-applied-configuration'), 'the last-applied annotation is dropped');
    assert.match(pods, /example\.com\/owner: team-web/, 'other annotations stay');
    const toml = readFileSync(join(out, 'nodes/win-1/logs/containerd/config.toml'), 'utf8');
    assert.match(toml, /^ {2}auth = "\[REDACTED\]"$/m);
    assert.match(toml, /^ {2}password = "\[REDACTED\]"$/m);
    assert.match(toml, /username = "robot"/, 'what is not secret stays readable');
    assert.match(readFileSync(join(out, 'nodes/win-1/logs/kubelet/kubelet.log'), 'utf8'), /--token=\[REDACTED\]/);
    assert.equal((JSON.parse(readFileSync(join(out, 'diagnose.json'), 'utf8')) as { summary: unknown }).summary !== undefined, true);
    const bad = await runDiagnose(['--kubeconfig', 'nowhere', '--bundle', join(dir, 'nope', 'b.tar.gz')]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--bundle/);
    // A symlink at the bundle's path is refused before anything runs, and its target is untouched.
    const victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'keep me', { mode: 0o644 });
    symlinkSync(victim, join(dir, 'link.tar.gz'));
    const linked = await runDiagnose(['--kubeconfig', 'nowhere', '--bundle', join(dir, 'link.tar.gz')]);
    assert.equal(linked.code, 2, linked.stderr);
    assert.match(linked.stderr, /--bundle: .*symbolic link/);
    assert.equal(readFileSync(victim, 'utf8'), 'keep me');
  });

  it('check results quote node logs with secrets redacted: JSON, human output and JUnit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'diagnose-redact-'));
    const report = JSON.parse(fixture('healthy-containerd-flannel')) as { logs: { matches: unknown[] } };
    report.logs.matches = [
      {
        source: 'kubelet',
        signature: 'apiserver-unauthorized',
        count: 2,
        lines: [`E1128 bootstrap.go:265] Unauthorized: kubeadm join 10.0.0.4:6443 --token ${FAKE_TOKEN} --discovery-token-ca-cert-hash sha256:00`, 'E1128 request with Authorization: Basic dXNlcjpodW50ZXIy refused'],
      },
    ];
    await withFake(
      healthy(),
      async (fake, kc) => {
        putHealthyWindowsNode(fake, 'win-1', { octet: 21 });
        const args = ['--skip-probes', '--checks', 'cluster.windows-nodes,node.host.*', '--probe-timeout', '5s'];
        const r = await diag(kc, args, { inCluster: true });
        const c = r.check('node.host.log-errors', 'win-1');
        assert.equal(c.status, 'warn', c.message);
        const evidence = (c.evidence ?? []).join('\n');
        assert.match(evidence, /Unauthorized: kubeadm join 10\.0\.0\.4:6443 --token \[REDACTED\]/, 'the line is kept, the token is not');
        assert.match(evidence, /Authorization: \[REDACTED\]/);
        for (const out of [r.stdout, r.stderr]) assert.ok(!out.includes(FAKE_TOKEN) && !out.includes('dXNlcjpodW50ZXIy'));
        const junit = join(dir, 'r.xml');
        const human = await runDiagnose(['--kubeconfig', kc, ...args, '--junit-file', junit]);
        assert.match(human.stdout, /--token \[REDACTED\]/);
        for (const out of [human.stdout, human.stderr, readFileSync(junit, 'utf8')]) assert.ok(!out.includes(FAKE_TOKEN) && !out.includes('dXNlcjpodW50ZXIy'));
      },
      { run: nodeAgent({ 'win-1': asLog(JSON.stringify(report)) }) },
    );
  });

  it('redaction covers tokens, keys, bearer headers, passwords and SAS signatures', () => {
    const text = [
      `kubeadm join --token ${FAKE_TOKEN} x`,
      'Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ.c2lnbmF0dXJlc2lnbmF0dXJl',
      '-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----',
      'password: hunter2',
      'https://x.blob.core.windows.net/c/serial.log?sv=2021&sig=abcDEF%2B123',
    ].join('\n');
    const out = redact(text);
    for (const s of [FAKE_TOKEN, 'eyJhbGciOiJSUzI1NiJ9', 'MIIEow', 'hunter2', 'abcDEF%2B123']) assert.ok(!out.includes(s), s);
    assert.match(out, /password: \[REDACTED\]/);
  });
});
