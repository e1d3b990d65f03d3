import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CA_HASH, DOCKER_SHA, TOKEN, renderArgs, runCli } from '../helpers/cli.js';
import type { PwshResult } from '../helpers/pwsh.js';
import { ArtifactServer } from './bootstrap/artifact-server.js';
import { assertPlainUtf8, judgeContainerdConfig, judgeFlannelCni, judgeFlannelNetConf, judgeJoinConfiguration, judgeServiceCommandLine } from './bootstrap/consumers.js';
import { NodeSim, type MachineState } from './bootstrap/node-sim.js';

/*
 * The rendered bootstrap, run end to end under PowerShell 7 on a simulated Windows Server
 * (bootstrap/windows-sim.ps1: Windows-only cmdlets, native programs, named pipes, COM1, the clock
 * and DNS are stubbed; everything else runs for real). Downloads come from a loopback server that
 * knows only the upstream release names and checksum formats (bootstrap/upstream-releases.ts), and
 * every file written for another program is read back by that program's rules (consumers.ts).
 */

const WINDOWS_CNI = 'https://github.com/microsoft/windows-container-networking/releases/download/v0.3.1/windows-container-networking-cni-amd64-v0.3.1.zip';
const NODE_IP = '10.0.1.15';
const PHASES = ['preflight', 'features', 'runtime', 'binaries', 'cni', 'services', 'join', 'network'];
const SECRET = TOKEN.split('.')[1]!;

const tally = { scripts: 0, runs: 0, phases: 0 };

interface Variant {
  name: string;
  args: string[];
  build: number;
  kubernetes: string;
  runtime: 'containerd' | 'docker';
  cni: 'flannel' | 'calico' | 'none';
  /** The runtime release upstream pairs with that Kubernetes minor (containerd RELEASES.md). */
  containerd?: string;
  docker?: string;
  crictl: string;
  compress?: boolean;
  hyperv?: boolean;
  proxy?: boolean;
}

const VARIANTS: Variant[] = [
  { name: 'default: Windows Server 2022, containerd 2.3, flannel, newest Kubernetes (1.37)', args: ['--kubernetes-version', '1.37.1'], build: 20348, kubernetes: '1.37.1', runtime: 'containerd', cni: 'flannel', containerd: '2.3.4', crictl: '1.36.0' },
  { name: 'containerd 2.0 (Kubernetes 1.33: bin_dir, not bin_dirs)', args: [], build: 20348, kubernetes: '1.33.2', runtime: 'containerd', cni: 'flannel', containerd: '2.0.10', crictl: '1.33.0' },
  { name: 'containerd 1.7, its oldest pairing on Windows Server 2022 (Kubernetes 1.23)', args: ['--kubernetes-version', '1.23.17'], build: 20348, kubernetes: '1.23.17', runtime: 'containerd', cni: 'flannel', containerd: '1.7.33', crictl: '1.23.0' },
  { name: 'Windows Server 2025, Calico, Kubernetes 1.36', args: ['--windows-version', '2025', '--cni', 'calico', '--kubernetes-version', '1.36.1'], build: 26100, kubernetes: '1.36.1', runtime: 'containerd', cni: 'calico', containerd: '2.3.4', crictl: '1.36.0' },
  { name: 'Windows Server 2019, Docker with dockershim (Kubernetes 1.23)', args: ['--windows-version', '2019', '--runtime', 'docker', '--kubernetes-version', '1.23.17'], build: 17763, kubernetes: '1.23.17', runtime: 'docker', cni: 'flannel', docker: '20.10.24', crictl: '1.23.0' },
  { name: 'Windows Server 2019, Docker with cri-dockerd (Kubernetes 1.33)', args: ['--windows-version', '2019', '--runtime', 'docker'], build: 17763, kubernetes: '1.33.2', runtime: 'docker', cni: 'flannel', docker: '29.2.1', crictl: '1.33.0' },
  { name: 'Hyper-V isolation', args: ['--hyperv-isolation', '--kubernetes-version', '1.37.1'], build: 20348, kubernetes: '1.37.1', runtime: 'containerd', cni: 'flannel', containerd: '2.3.4', crictl: '1.36.0', hyperv: true },
  { name: 'behind an HTTP proxy with credentials', args: ['--http-proxy', 'http://build:pa%24%24word@proxy.corp.example:3128', '--no-proxy', '.corp.example'], build: 20348, kubernetes: '1.33.2', runtime: 'containerd', cni: 'flannel', containerd: '2.0.10', crictl: '1.33.0', proxy: true },
  { name: 'the --compress stub (EC2 user data), default target', args: ['--compress'], build: 20348, kubernetes: '1.33.2', runtime: 'containerd', cni: 'flannel', containerd: '2.0.10', crictl: '1.33.0', compress: true },
];

let server: ArtifactServer;

// Stated in the test output once every file has run: how much of the node side really ran.
after(() => {
  if (tally.scripts > 0) console.log(`\n  bootstrap under pwsh: ${tally.scripts} rendered scripts run (${tally.runs} PowerShell runs, reboots included), ${tally.phases} phases completed`);
});

function publish(v: Variant): void {
  server.publishFor({ kubernetes: v.kubernetes, crictl: v.crictl, ...(v.containerd ? { containerd: v.containerd } : {}), ...(v.docker ? { docker: v.docker } : {}) });
}

/** Renders through the CLI, as a user would; pins what has no checksum file upstream to the served file. */
async function render(v: Variant, extra: string[] = []): Promise<string> {
  const pins = ['--checksum', `windows-cni=${server.sha256Of(WINDOWS_CNI)}`];
  if (v.docker) pins.push('--checksum', `docker=${server.sha256Of(`https://download.docker.com/win/static/stable/x86_64/docker-${v.docker}.zip`)}`);
  const r = await runCli(renderArgs([...v.args, ...pins, ...extra]), { env: { WIN_K8S_TOKEN: TOKEN } });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

function newSim(v: Variant, opts: { nestedVirtualization?: boolean } = {}): NodeSim {
  return new NodeSim(server, { build: v.build, runtime: v.runtime, kubernetesVersion: v.kubernetes, nodeIp: NODE_IP, ...opts });
}

function explain(sim: NodeSim, r: PwshResult): string {
  return `exit ${r.code}\n--- COM1 ---\n${sim.com1().slice(-30).join('\n')}\n--- stdout ---\n${r.stdout.slice(-4000)}\n--- stderr ---\n${r.stderr.slice(-3000)}`;
}

/**
 * Runs a script as the cloud's agent would, then plays the restarts it asks for (the startup
 * task resumes it) until it ends. Returns every run's result.
 */
async function runToEnd(sim: NodeSim, script: string): Promise<PwshResult[]> {
  tally.scripts++;
  const results = [await sim.run(script)];
  tally.runs++;
  while (sim.state().rebootRequested && results.length < 4) {
    results.push(await sim.boot());
    tally.runs++;
  }
  tally.phases += sim.com1().filter((l) => / done( |$)/.test(l) && !l.startsWith('win-k8s: log ') && !l.startsWith('win-k8s: complete')).length;
  return results;
}

/** Every file under a folder, recursively. */
function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

/**
 * No file the script wrote holds the token. The copy the cloud's agent put on the disk to run
 * (`placed`) is the cloud's: where the agent keeps it, and for how long, is per cloud.
 */
function assertNoTokenOnDisk(sim: NodeSim, placed: string): void {
  for (const file of walk(sim.drive)) {
    if (file === placed) continue;
    const text = readFileSync(file, 'latin1');
    assert.ok(!text.includes(SECRET), `the bootstrap token's secret is still in ${file.slice(sim.drive.length)}`);
  }
  for (const line of sim.com1()) assert.ok(!line.includes(SECRET), `COM1 carried the token: ${line}`);
}

function phaseLines(sim: NodeSim): string[] {
  return sim.com1().filter((l) => !l.startsWith('win-k8s: log '));
}

/** The contract's console format: `win-k8s: <phase> <started|done|failed> <detail>`, plus the reboot line. */
function assertConsoleFormat(sim: NodeSim): void {
  for (const line of sim.com1()) {
    assert.match(line, /^win-k8s: (?:(?:startup|preflight|features|runtime|binaries|cni|services|join|network|complete) (?:started|done|failed)(?: .*)?|reboot .+|log .*)$/, `not in the console format: ${line}`);
  }
}

function service(state: MachineState, name: string) {
  const s = state.services[name];
  assert.ok(s, `service ${name} is not registered`);
  return s;
}

describe('bootstrap scripts run under PowerShell (a simulated Windows Server)', function () {
  this.timeout(240_000);

  before(async () => {
    server = new ArtifactServer();
    await server.start();
    for (const v of VARIANTS) publish(v);
  });

  after(async () => server?.stop());

  describe('every variant the matrix accepts, end to end', () => {
    for (const v of VARIANTS) {
      it(v.name, async () => {
        const sim = newSim(v);
        try {
          const script = await render(v);
          const path = sim.place('AzureData/CustomData.ps1', script);
          const runs = await runToEnd(sim, path);
          const last = runs[runs.length - 1]!;
          assert.equal(last.code, 0, explain(sim, last));
          const state = sim.state();

          // Phases in order, each started then done, across the features reboot.
          const lines = phaseLines(sim);
          const expected = PHASES.flatMap((p) => [`win-k8s: ${p} started`, `win-k8s: ${p} done`]);
          const seen = lines.filter((l) => / (started|done)/.test(l)).map((l) => l.replace(/^(win-k8s: \S+ (?:started|done)).*$/, '$1'));
          assert.deepEqual(seen, [...expected, 'win-k8s: complete done'], lines.join('\n'));
          assert.equal(lines[lines.length - 1], 'win-k8s: complete done win-abcde');
          assert.ok(lines.some((l) => l.startsWith('win-k8s: reboot ')), 'the Containers feature asked for a restart');
          // The restart is scheduled and the run ends with 0 first (an agent such as Azure's Custom
          // Script Extension reports a run cut by a reboot as failed).
          assert.equal(runs[0]!.code, 0, explain(sim, runs[0]!));
          assert.deepEqual(sim.events('restart').map((e) => e.detail), [{ delaySeconds: 15 }]);
          assertConsoleFormat(sim);

          // The restart path: resumed by the startup task, which is gone at the end with the saved copy.
          assert.equal(state.reboots, 1);
          assert.deepEqual(sim.events('task-unregister').map((e) => e.detail), ['win-k8s-bootstrap']);
          assert.equal(state.tasks['win-k8s-bootstrap'], undefined);
          assert.ok(!sim.exists('ProgramData/win-k8s/bootstrap.ps1'), 'the saved copy (with the token) is removed');
          assert.equal(state.computerName, 'WIN-ABCDE', 'the computer is renamed to the node name at the restart');

          // kubeadm's JoinConfiguration, as kubeadm of that version reads it, and how it was kept.
          const joins = sim.events('kubeadm-join');
          assert.equal(joins.length, 1);
          const join = joins[0]!.detail as { config: string; aclOnConfig: { inheritance: string; grants: string[]; sizeWhenProtected: number } };
          assert.ok(!join.config.startsWith('\uFEFF'), 'join.yaml has a byte order mark');
          const jc = judgeJoinConfiguration(join.config, v.kubernetes);
          assert.equal(jc.token, TOKEN);
          assert.deepEqual(jc.caCertHashes, [CA_HASH]);
          assert.equal(jc.apiServer, '10.0.0.10:6443');
          assert.equal(jc.nodeName, 'win-abcde');
          assert.equal(jc.criSocket, v.runtime === 'containerd' ? 'npipe:////./pipe/containerd-containerd' : Number(v.kubernetes.split('.')[1]) < 24 ? 'npipe:////./pipe/docker_engine' : 'npipe:////./pipe/cri-dockerd');
          assert.deepEqual(join.aclOnConfig, { ...join.aclOnConfig, inheritance: 'removed', grants: ['*S-1-5-18:(F)', '*S-1-5-32-544:(F)'], sizeWhenProtected: 0 }, 'join.yaml locked while still empty');
          assert.ok(!sim.exists('ProgramData/win-k8s/join.yaml'));

          // The token is in no file, log or console line once the node has joined.
          assertNoTokenOnDisk(sim, path);

          // Folders holding the node's identity and the binaries on PATH are locked down.
          const acl = (rel: string) => state.acl[sim.path(rel)];
          assert.deepEqual(acl('k')?.grants, ['*S-1-5-18:(OI)(CI)(F)', '*S-1-5-32-544:(OI)(CI)(F)', '*S-1-5-32-545:(OI)(CI)(RX)']);
          assert.deepEqual(acl('etc/kubernetes')?.grants, ['*S-1-5-18:(OI)(CI)(F)', '*S-1-5-32-544:(OI)(CI)(F)']);
          assert.deepEqual(acl('var/lib/kubelet/pki')?.grants, ['*S-1-5-18:(OI)(CI)(F)', '*S-1-5-32-544:(OI)(CI)(F)']);
          for (const rel of ['k', 'etc/kubernetes', 'var/lib/kubelet/pki']) assert.equal(acl(rel)!.inheritance, 'removed', rel);

          // The kubelet service, judged flag by flag for its Kubernetes version.
          const kubelet = judgeServiceCommandLine(service(state, 'kubelet').binaryPath, 'kubelet', v.kubernetes);
          assert.equal(kubelet.flags.get('node-ip'), NODE_IP, 'the address of the interface with the default route, not the NAT adapter');
          assert.equal(kubelet.flags.get('hostname-override'), 'win-abcde');
          if (v.runtime === 'docker' && Number(v.kubernetes.split('.')[1]) < 24) {
            assert.ok(!kubelet.flags.has('container-runtime-endpoint'), 'dockershim serves CRI itself: no endpoint on Docker\'s pipe');
            assert.equal(kubelet.flags.get('network-plugin'), 'cni');
          } else {
            assert.equal(kubelet.flags.get('container-runtime-endpoint'), jc.criSocket);
          }
          if (Number(v.kubernetes.split('.')[1]) >= 34) assert.equal(kubelet.logRunner?.get('log-file-size'), '100Mi');
          else if (kubelet.logRunner) assert.ok(!kubelet.logRunner.has('log-file-size'), 'kube-log-runner before 1.34 exits on -log-file-size');
          assert.deepEqual(service(state, 'kubelet').dependsOn, [v.runtime === 'containerd' ? 'containerd' : 'docker']);
          assert.equal(service(state, 'kubelet').status, 'Running');
          assert.ok(service(state, 'kubelet').recovery?.includes('restart/10000'));

          if (v.runtime === 'containerd') {
            const toml = assertPlainUtf8('config.toml', sim.read('Program Files/containerd/config.toml'));
            const ctd = judgeContainerdConfig(toml, v.containerd!);
            assert.deepEqual(ctd.cniBinDirs, [sim.path('opt/cni/bin')], 'containerd looks for the CNI plugins where the script put them');
            assert.equal(ctd.cniConfDir, sim.path('etc/cni/net.d'));
            assert.equal(ctd.sandboxImage, v.build === 26100 ? 'registry.k8s.io/pause:3.10.2' : 'registry.k8s.io/pause:3.10.1');
            assert.equal(ctd.defaultRuntime, 'runhcs-wcow-process');
            if (v.hyperv) assert.equal(ctd.runtimes['runhcs-wcow-hypervisor']?.options?.SandboxIsolation, 1);
            else assert.equal(ctd.runtimes['runhcs-wcow-hypervisor'], undefined);
            assert.equal(service(state, 'containerd').status, 'Running');
            assert.ok(sim.exists('Program Files/containerd/containerd-shim-runhcs-v1.exe'));
          } else {
            assert.ok(sim.exists('Program Files/docker/dockerd.exe'));
            assert.equal(service(state, 'docker').status, 'Running');
            const criDockerd = state.tasks['win-k8s-cri-dockerd'];
            if (Number(v.kubernetes.split('.')[1]) >= 24) assert.ok(criDockerd, 'cri-dockerd runs under a supervisor task');
            else assert.equal(criDockerd, undefined);
          }

          if (v.cni === 'flannel') {
            const cni = judgeFlannelCni(assertPlainUtf8('10-flannel.conf', sim.read('etc/cni/net.d/10-flannel.conf')));
            assert.equal(cni.delegateType, v.runtime === 'containerd' ? 'sdnoverlay' : 'win-overlay');
            assert.deepEqual([...cni.natExceptions].sort(), ['10.244.0.0/16', '10.96.0.0/12']);
            assert.deepEqual(cni.encapRoutes, ['10.96.0.0/12']);
            if (v.runtime === 'containerd') assert.equal(cni.providerAddress, NODE_IP);
            assert.deepEqual(judgeFlannelNetConf(assertPlainUtf8('net-conf.json', sim.read('etc/kube-flannel/net-conf.json'))), { network: '10.244.0.0/16', vni: 4096 });
            const plugins = readdirSync(sim.path('opt/cni/bin')).sort();
            for (const p of ['flannel.exe', 'host-local.exe', v.runtime === 'containerd' ? 'sdnoverlay.exe' : 'win-overlay.exe']) assert.ok(plugins.includes(p), `${p} in ${plugins.join(', ')}`);
            // kube-proxy: the source VIP host-local gave from the node's pod subnet (10.244.3.0/24; .1 is the gateway).
            const proxy = judgeServiceCommandLine(service(state, 'kube-proxy').binaryPath, 'kube-proxy', v.kubernetes);
            assert.equal(proxy.flags.get('source-vip'), '10.244.3.2');
            assert.equal(proxy.flags.get('network-name'), 'flannel.4096');
            assert.deepEqual(service(state, 'kube-proxy').dependsOn, ['kubelet']);
            const flanneld = sim.events('supervised-run').map((e) => e.detail as { exe: string; arguments: string[] }).find((d) => d.exe.endsWith('flanneld.exe'))!;
            assert.ok(flanneld.arguments.includes(`--iface=${NODE_IP}`));
            assert.ok(state.persistentRoutes.includes('169.254.169.254'), 'the metadata route survives the overlay network');
          } else {
            assert.equal(state.services['kube-proxy'], undefined, 'Calico brings kube-proxy as a HostProcess DaemonSet');
          }

          // Every download came from its upstream's own name, over HTTPS.
          const http = sim.events('http').map((e) => e.detail as { uri: string; proxy: string | null; proxyUser: string | null; basic: boolean });
          assert.ok(http.length > 0);
          for (const h of http) {
            assert.match(h.uri, /^https:\/\//);
            assert.ok(h.basic, 'Invoke-WebRequest with -UseBasicParsing (5.1 needs IE otherwise)');
          }
          if (v.proxy) {
            for (const h of http) {
              assert.equal(h.proxy, 'http://proxy.corp.example:3128', 'the proxy without its credentials');
              assert.equal(h.proxyUser, 'build', 'the credentials travel as -ProxyCredential');
            }
            const env = state.registry['HKLM:\\SYSTEM\\CurrentControlSet\\Services\\containerd']?.Environment?.value ?? [];
            assert.ok(env.includes('HTTP_PROXY=http://build:pa%24%24word@proxy.corp.example:3128'), env.join(' '));
            assert.ok(env.some((e) => e.startsWith('NO_PROXY=') && e.includes('.corp.example') && e.includes('10.96.0.0/12')), env.join(' '));
          } else {
            assert.ok(http.every((h) => !h.proxy));
          }
          if (v.compress) assert.deepEqual(sim.events('powershell-file').map((e) => e.detail), [sim.path('ProgramData/win-k8s/bootstrap.ps1')]);

          // A run after the end changes nothing: every phase is marked done.
          const again = await sim.run(path);
          assert.equal(again.code, 0, explain(sim, again));
          assert.equal(sim.events('kubeadm-join').length, 1, 'a re-run does not join again');
        } finally {
          sim.dispose();
        }
      });
    }

    it('Windows Server 2016 (Docker): not rendered, even with --allow-unsupported, with the reason (exit 2)', async () => {
      const r = await runCli(renderArgs(['--windows-version', '2016', '--runtime', 'docker', '--cni', 'none', '--kubernetes-version', '1.13.12', '--allow-unsupported', '--checksum', `docker=${DOCKER_SHA}`]), { env: { WIN_K8S_TOKEN: TOKEN } });
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /cannot bootstrap Windows Server 2016/);
    });
  });
});

describe('bootstrap flow under PowerShell: failures, re-runs and secrets', function () {
  this.timeout(240_000);
  const v = VARIANTS.find((x) => x.name.startsWith('containerd 2.0'))!;
  const url = (artifact: string) =>
    ({
      kubelet: `https://dl.k8s.io/release/v${v.kubernetes}/bin/windows/amd64/kubelet.exe`,
      containerd: `https://github.com/containerd/containerd/releases/download/v${v.containerd}/containerd-${v.containerd}-windows-amd64.tar.gz`,
      'cni-plugins': 'https://github.com/containernetworking/plugins/releases/download/v1.9.1/cni-plugins-windows-amd64-v1.9.1.tgz',
      'flannel-cni-sha256': 'https://github.com/flannel-io/cni-plugin/releases/download/v1.9.1-flannel1/cni-plugin-flannel-windows-amd64-v1.9.1.tgz.sha256',
    })[artifact]!;

  before(async () => {
    server = new ArtifactServer();
    await server.start();
    publish(v);
  });
  after(async () => server?.stop());

  const starts = (sim: NodeSim, phase: string) => phaseLines(sim).filter((l) => l === `win-k8s: ${phase} started`).length;

  // One fault at the Windows boundary per phase; the re-run (the cloud agent or an operator running
  // the same script again) resumes at that phase and finishes.
  const faults: { phase: string; arm: (sim: NodeSim) => void; message: RegExp }[] = [
    { phase: 'preflight', arm: (sim) => sim.fault('cim'), message: /RPC server is unavailable/ },
    { phase: 'features', arm: (sim) => sim.fault('install-feature:Containers'), message: /could not install the Windows feature Containers/ },
    { phase: 'runtime', arm: (sim) => sim.fault('containerd-register'), message: /containerd --register-service failed \(exit 1\): .*Access is denied/ },
    { phase: 'binaries', arm: () => server.corruptions.set(url('kubelet'), 1), message: /SHA-256 mismatch for kubelet\.exe: expected [0-9a-f]{64}, got [0-9a-f]{64}; the file was deleted/ },
    { phase: 'cni', arm: () => server.failures.set(url('flannel-cni-sha256'), 5), message: /503/ },
    { phase: 'services', arm: (sim) => sim.fault('firewall:win-k8s-kubelet'), message: /RPC server is unavailable/ },
    { phase: 'join', arm: (sim) => sim.fault('kubeadm-join'), message: /kubeadm join failed \(exit 1\)/ },
    { phase: 'network', arm: (sim) => sim.fault('new-service:kube-proxy'), message: /marked for deletion/ },
  ];
  for (const f of faults) {
    it(`a failure in ${f.phase} is reported on COM1 and a re-run resumes there and succeeds`, async () => {
      const sim = newSim(v);
      try {
        const path = sim.place('AzureData/CustomData.ps1', await render(v));
        f.arm(sim);
        const first = await runToEnd(sim, path);
        assert.equal(first[first.length - 1]!.code, 1, explain(sim, first[first.length - 1]!));
        const failed = phaseLines(sim).find((l) => l.startsWith(`win-k8s: ${f.phase} failed `));
        assert.ok(failed, phaseLines(sim).join('\n'));
        assert.match(failed, f.message);
        assert.ok(sim.com1().some((l) => l.startsWith('win-k8s: log ')), 'the log tail follows the failure on COM1');
        assertConsoleFormat(sim);

        const joined = PHASES.indexOf(f.phase) >= PHASES.indexOf('join');
        if (joined) {
          // The join has run: no copy of the token may stay, whatever failed after it.
          assertNoTokenOnDisk(sim, path);
          assert.equal(sim.state().tasks['win-k8s-bootstrap'], undefined);
        } else if (f.phase !== 'preflight') {
          assert.ok(sim.exists('ProgramData/win-k8s/bootstrap.ps1'), 'the saved copy stays for the join still to come');
        }

        const rerun = await runToEnd(sim, path);
        const last = rerun[rerun.length - 1]!;
        assert.equal(last.code, 0, explain(sim, last));
        assert.equal(phaseLines(sim)[phaseLines(sim).length - 1], 'win-k8s: complete done win-abcde');
        for (const p of PHASES) assert.equal(starts(sim, p), p === f.phase ? 2 : 1, `${p} started ${starts(sim, p)} times`);
        assertNoTokenOnDisk(sim, path);
        if (f.phase === 'join') {
          // The half-finished join left the cluster CA behind: kubeadm reset -f comes before the retry.
          const kinds = sim.events().filter((e) => e.kind === 'kubeadm-join' || e.kind === 'kubeadm-reset').map((e) => e.kind);
          assert.deepEqual(kinds, ['kubeadm-join', 'kubeadm-reset', 'kubeadm-join']);
        }
        if (f.phase === 'network') {
          // host-local refuses a second allocation for the same container: the cached VIP is reused.
          const hostLocal = sim.events('exec').filter((e) => (e.detail as { exe: string }).exe === 'host-local.exe');
          assert.equal(hostLocal.length, 1);
          const proxy = judgeServiceCommandLine(service(sim.state(), 'kube-proxy').binaryPath, 'kube-proxy', v.kubernetes);
          assert.equal(proxy.flags.get('source-vip'), '10.244.3.2');
        }
      } finally {
        sim.dispose();
      }
    });
  }

  it('flannel source VIP: host-local gets the network of FLANNEL_SUBNET (which has host bits set) and records one lease', async () => {
    const sim = newSim(v);
    try {
      const path = sim.place('AzureData/CustomData.ps1', await render(v));
      const runs = await runToEnd(sim, path);
      assert.equal(runs[runs.length - 1]!.code, 0, explain(sim, runs[runs.length - 1]!));
      assert.match(sim.read('run/flannel/subnet.env').toString(), /^FLANNEL_SUBNET=10\.244\.3\.1\/24$/m);
      const leases = readdirSync(sim.path('var/lib/cni/networks/flannel.4096'));
      assert.deepEqual(leases, ['10.244.3.2']);
      assert.equal(sim.read('var/lib/cni/networks/flannel.4096/10.244.3.2').toString(), 'win-k8s-kube-proxy-source-vip\r\nsource-vip');
      // kubeadm's preflight warnings arrived on stderr and did not fail the join; they are in the log.
      const log = sim.read('ProgramData/win-k8s/bootstrap.log').toString();
      assert.match(log, /kubeadm: \t\[WARNING Hostname\]: hostname "ec2amaz-7q2k1lm" could not be reached|kubeadm: \t\[WARNING Hostname\]/);
      assert.ok(!log.includes(SECRET));
    } finally {
      sim.dispose();
    }
  });

  it('an icacls that fails stops the script before the token is written anywhere', async () => {
    const sim = newSim(v);
    try {
      const path = sim.place('AzureData/CustomData.ps1', await render(v));
      sim.fault('icacls');
      const [r] = await runToEnd(sim, path);
      assert.equal(r!.code, 1, explain(sim, r!));
      assert.match(phaseLines(sim).join('\n'), /win-k8s: startup failed icacls could not restrict .*bootstrap\.ps1 \(exit 5\)/);
      assertNoTokenOnDisk(sim, path);
      assert.equal(sim.read('ProgramData/win-k8s/bootstrap.ps1').length, 0, 'the copy was created empty and stays empty');
    } finally {
      sim.dispose();
    }
  });

  it('the stub checks icacls too: the script is never written unprotected', async () => {
    const sim = newSim(v);
    try {
      const path = sim.place('AzureData/CustomData.ps1', await render(v, ['--compress']));
      sim.fault('icacls');
      const r = await sim.run(path);
      assert.notEqual(r.code, 0);
      assert.match(r.stdout + r.stderr, /icacls could not restrict/);
      assert.equal(sim.read('ProgramData/win-k8s/bootstrap.ps1').length, 0);
      assert.deepEqual(sim.events('powershell-file'), []);
    } finally {
      sim.dispose();
    }
  });

  it('re-registering a service waits while Windows still has it "marked for deletion"', async () => {
    const sim = newSim(v);
    try {
      const path = sim.place('AzureData/CustomData.ps1', await render(v));
      await runToEnd(sim, path);
      // Run the services phase again on the joined node (as after a failure inside it).
      for (const phase of ['services', 'network']) rmMarker(sim, phase);
      sim.update((s) => {
        s.deletionLinger = 4;
      });
      const before = sim.state().slept;
      const r = await sim.run(path);
      assert.equal(r.code, 0, explain(sim, r));
      const nameOf = (d: unknown) => (typeof d === 'string' ? d : (d as { name: string }).name);
      const kinds = sim.events().filter((e) => ['service-delete', 'service-gone', 'service-create'].includes(e.kind) && nameOf(e.detail) === 'kubelet');
      assert.deepEqual(kinds.map((e) => e.kind).slice(-3), ['service-delete', 'service-gone', 'service-create']);
      assert.ok(sim.state().slept > before, 'it waited for the old service to go');
      assert.equal(service(sim.state(), 'kubelet').status, 'Running', 'the kubelet of a joined node runs again');
    } finally {
      sim.dispose();
    }
  });

  it('Hyper-V isolation on a VM without nested virtualization fails in features with what to do', async () => {
    const hv = VARIANTS.find((x) => x.hyperv)!;
    publish(hv);
    const sim = newSim(hv, { nestedVirtualization: false });
    try {
      const path = sim.place('AzureData/CustomData.ps1', await render(hv));
      const [r] = await runToEnd(sim, path);
      assert.equal(r!.code, 1);
      assert.match(phaseLines(sim).join('\n'), /win-k8s: features failed the Hyper-V role cannot be installed on this machine .*nested virtualization, or drop --hyperv-isolation/);
    } finally {
      sim.dispose();
    }
  });

  it('one bootstrap per machine: a second one while the first holds the lock leaves the work to it; another machine\'s lock does not count', async () => {
    const sim = newSim(v);
    const other = newSim(v);
    try {
      const path = sim.place('AzureData/CustomData.ps1', await render(v));
      const held = await sim.holdMutex('Global\\win-k8s-bootstrap');
      let r: PwshResult;
      try {
        r = await sim.run(path);
      } finally {
        await held.release();
      }
      assert.equal(r.code, 0, explain(sim, r));
      assert.match(r.stdout, /another win-k8s bootstrap is running here; leaving the work to it/);
      assert.deepEqual(phaseLines(sim), [], 'the second bootstrap ran no phase');
      assert.equal(sim.exists('ProgramData/win-k8s/state/preflight.done'), false);

      const elsewhere = await other.holdMutex('Global\\win-k8s-bootstrap');
      try {
        r = await sim.run(path);
      } finally {
        await elsewhere.release();
      }
      assert.ok(phaseLines(sim).includes('win-k8s: preflight done'), explain(sim, r));
    } finally {
      sim.dispose();
      other.dispose();
    }
  });

  it('a download the host does not have (404) fails at once; a flaky one (503) is retried', async () => {
    const sim = newSim(v);
    try {
      const path = sim.place('AzureData/CustomData.ps1', await render(v));
      server.failures.set(url('containerd'), 2);
      server.withdraw(url('cni-plugins'));
      const mark = server.requests.length;
      const runs = await runToEnd(sim, path);
      assert.equal(runs[runs.length - 1]!.code, 1);
      assert.match(phaseLines(sim).join('\n'), /win-k8s: cni failed not found \(HTTP 404\): https:\/\/github\.com\/containernetworking\/plugins\/releases\/download\/v1\.9\.1\/cni-plugins-windows-amd64-v1\.9\.1\.tgz/);
      const asked = (u: string) => server.requests.slice(mark).filter((q) => q.url === u).map((q) => q.status);
      assert.deepEqual(asked(url('cni-plugins')), [404], 'no retries on a 404');
      assert.deepEqual(asked(url('containerd')), [503, 503, 200]);
      assert.match(sim.read('ProgramData/win-k8s/bootstrap.log').toString(), /download https:\/\/github\.com\/containerd\/.* failed \(attempt 1\/5\)/);
    } finally {
      publish(v);
      sim.dispose();
    }
  });
});

function rmMarker(sim: NodeSim, phase: string): void {
  rmSync(sim.path(`ProgramData/win-k8s/state/${phase}.done`));
}
