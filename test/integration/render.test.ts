import assert from 'node:assert/strict';
import { chmodSync, existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parsePowerShell } from '../helpers/powershell.js';
import { b85decode } from '../fakes/node-agent/script.js';
import { CA_HASH, DOCKER_SHA, TOKEN, renderArgs, runCli } from '../helpers/cli.js';
import { evaluate } from '../../src/compat/matrix.js';
import { removedKubeletFlags } from '../../src/compat/flags.js';

const env = { WIN_K8S_TOKEN: TOKEN };
const GOLDEN = join(import.meta.dirname, '..', 'golden');

describe('render: PowerShell parses for every supported combination', function () {
  this.timeout(120_000);
  const windows = ['2019', '2022', '2025'] as const;
  const runtimes = ['containerd', 'docker'] as const;
  const cnis = ['flannel', 'calico', 'none'] as const;
  // Both sides of 1.24 (dockershim removal), 1.26/1.27 flag removals, 1.35 and the newest known.
  const versions = ['1.23.17', '1.24.17', '1.27.16', '1.33.2', '1.35.9', '1.37.1'];
  let rendered = 0;

  for (const w of windows) {
    for (const runtime of runtimes) {
      for (const cni of cnis) {
        for (const version of versions) {
          for (const hyperv of runtime === 'containerd' ? [false, true] : [false]) {
            const target = { windowsVersion: w, kubernetesVersion: version, runtime, cni, hypervIsolation: hyperv };
            if (!evaluate(target).supported) continue;
            it(`${w} ${runtime} ${cni} ${version}${hyperv ? ' hyperv' : ''}`, async () => {
              const args = renderArgs(['--windows-version', w, '--runtime', runtime, '--cni', cni, '--kubernetes-version', version, '--checksum', `docker=${DOCKER_SHA}`]);
              if (hyperv) args.push('--hyperv-isolation');
              const r = await runCli(args, { env });
              assert.equal(r.code, 0, r.stderr);
              rendered++;
              assert.deepEqual(parsePowerShell(r.stdout), [], 'tree-sitter found syntax errors');
              assert.match(r.stdout, new RegExp(`KubernetesVersion\\s+= '${version.replace(/\./g, '\\.')}'`));
              const kubelet = /KubeletFlags\s+= @\(([\s\S]*?)\n\s*\)/.exec(r.stdout)?.[1] ?? '';
              assert.match(kubelet, /--windows-service/);
              for (const flag of removedKubeletFlags(version)) {
                assert.ok(!kubelet.includes(`'${flag}`), `removed kubelet flag ${flag} rendered for ${version}`);
              }
              assert.ok(!/WinDSR|WinOverlay=false/.test(r.stdout), 'locked feature gates must not be set');
              assert.ok(!r.stdout.includes('unsafe-skip-ca-verification'));
              assert.ok(!r.stderr.includes(TOKEN), 'token leaked to stderr');
            });
          }
        }
      }
    }
  }
  after(() => {
    // Guard against the loop silently skipping everything.
    assert.ok(rendered >= 60, `only ${rendered} combinations rendered`);
  });
});

describe('render: golden files', () => {
  const cases: [string, string[]][] = [
    ['containerd-flannel-2022-1.33', []],
    ['docker-none-2019-1.23', ['--runtime', 'docker', '--cni', 'none', '--windows-version', '2019', '--kubernetes-version', '1.23.17', '--checksum', `docker=${DOCKER_SHA}`]],
    ['containerd-calico-2025-1.37-hyperv', ['--cni', 'calico', '--windows-version', '2025', '--kubernetes-version', '1.37.1', '--hyperv-isolation', '--node-labels', 'team=payments', '--node-taints', 'os=windows:NoSchedule']],
  ];
  for (const [name, extra] of cases) {
    it(name, async () => {
      const r = await runCli(renderArgs(extra), { env: { ...env, WIN_K8S_NO_COLOR: '1' } });
      assert.equal(r.code, 0, r.stderr);
      const file = join(GOLDEN, `${name}.ps1`);
      if (process.env.UPDATE_GOLDEN || !existsSync(file)) writeFileSync(file, r.stdout);
      assert.equal(r.stdout, readFileSync(file, 'utf8'), `differs from ${file}; run with UPDATE_GOLDEN=1 if the change is intended`);
    });
  }
});

describe('render: script content', () => {
  it('pins each download to a version and a checksum source, and never skips CA verification', async () => {
    const r = await runCli(renderArgs(['-o', 'json']), { env });
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { script: string; target: { artifacts: { name: string; url: string; checksum: string }[] } };
    const names = doc.target.artifacts.map((a) => a.name).sort();
    assert.deepEqual(names, ['cni-plugins', 'containerd', 'crictl', 'flannel-cni', 'flanneld', 'kube-log-runner', 'kube-proxy', 'kubeadm', 'kubelet', 'windows-cni']);
    for (const a of doc.target.artifacts) {
      assert.match(a.url, /^https:\/\//);
      assert.ok(['sidecar', 'github', 'pinned'].includes(a.checksum), `${a.name} has no checksum source`);
    }
    assert.ok(doc.target.artifacts.find((a) => a.name === 'kubelet')!.url.startsWith('https://dl.k8s.io/release/v1.33.2/bin/windows/amd64/kubelet.exe'));
    assert.match(doc.script, /caCertHashes:/);
    assert.match(doc.script, /Get-FileHash -Algorithm SHA256/);
    assert.ok(!doc.script.includes('unsafe'), 'no unsafe discovery');
  });

  it('keeps the token out of command lines and logs: only in the protected join file', async () => {
    const r = await runCli(renderArgs(), { env });
    const lines = r.stdout.split('\n').filter((l) => l.includes('$BootstrapToken') || l.includes(TOKEN));
    assert.deepEqual(
      lines.map((l) => l.trim()),
      [
        `$BootstrapToken = '${TOKEN}'`,
        'if ($BootstrapToken) {',
        '$out = $out.Replace($BootstrapToken, \'<redacted>\')',
        '$secretPart = ($BootstrapToken -split \'\\.\')[-1]',
        "Write-Utf8File -Path $JoinConfig -Content $WinK8s.JoinConfiguration.Replace('__WIN_K8S_BOOTSTRAP_TOKEN__', $BootstrapToken)",
      ].map((l) => l.trim()),
    );
  });

  it('has every phase with a marker and reports to COM1 in the documented format', async () => {
    const r = await runCli(renderArgs(), { env });
    for (const phase of ['preflight', 'features', 'runtime', 'binaries', 'cni', 'services', 'join', 'network']) {
      assert.ok(r.stdout.includes(`'${phase}'`), `phase ${phase} missing`);
    }
    assert.match(r.stdout, /'win-k8s: \{0\} \{1\} \{2\}' -f \$Phase, \$State, \$Detail/);
    assert.match(r.stdout, /C:\\ProgramData\\win-k8s|Join-Path \$env:ProgramData 'win-k8s'/);
    assert.match(r.stdout, /-Tail 50/);
    assert.match(r.stdout, /New-ScheduledTaskTrigger -AtStartup/);
    assert.match(r.stdout, /Unregister-ScheduledTask -TaskName \$TaskName/);
  });

  it('renders Docker on 1.24+ with cri-dockerd and its named pipe', async () => {
    const r = await runCli(renderArgs(['--runtime', 'docker', '--checksum', `docker=${DOCKER_SHA}`, '-o', 'json']), { env });
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { script: string; target: { criSocket: string; artifacts: { name: string }[] } };
    assert.equal(doc.target.criSocket, 'npipe:////./pipe/cri-dockerd');
    assert.ok(doc.target.artifacts.some((a) => a.name === 'cri-dockerd'));
    assert.match(doc.script, /Checksum = 'sha256:d{64}'/);
  });

  it('writes containerd 1.7 config (version 2) and 2.x config (version 3) by version', async () => {
    const old = await runCli(renderArgs(['--kubernetes-version', '1.29.14', '-o', 'json']), { env });
    const cur = await runCli(renderArgs(['--kubernetes-version', '1.37.1', '-o', 'json']), { env });
    assert.match(JSON.parse(old.stdout).script, /ContainerdConfig = 'version = 2\n/);
    assert.equal(JSON.parse(old.stdout).target.runtimeVersion, '1.7.33');
    assert.match(JSON.parse(cur.stdout).script, /ContainerdConfig = 'version = 3\n/);
    assert.equal(JSON.parse(cur.stdout).target.sandboxImage, 'registry.k8s.io/pause:3.10.1');
  });

  it('adds proxy settings and NO_PROXY for cluster ranges, redacting proxy credentials on stderr', async () => {
    const r = await runCli(renderArgs(['--http-proxy', 'http://user:s3cretpw@proxy.corp:3128', '--no-proxy', '.corp.example', '-v']), { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /HttpProxy\s+= 'http:\/\/user:s3cretpw@proxy\.corp:3128'/);
    for (const entry of ['.corp.example', '10.96.0.0/12', '10.244.0.0/16', '10.0.0.10', '.svc']) assert.ok(r.stdout.includes(`'${entry}'`), entry);
    assert.ok(!r.stderr.includes('s3cretpw'));
  });
});

describe('render: --compress', () => {
  it('emits a stub under 16 KB whose payload decompresses to exactly the full script', async () => {
    const full = await runCli(renderArgs(), { env });
    const stub = await runCli(renderArgs(['--compress']), { env });
    assert.equal(stub.code, 0, stub.stderr);
    assert.ok(Buffer.byteLength(stub.stdout) < 16 * 1024 - 64, `stub is ${Buffer.byteLength(stub.stdout)} bytes`);
    assert.deepEqual(parsePowerShell(stub.stdout), []);
    const payload = /\$payload = @'\n([\s\S]*?)\n'@/.exec(stub.stdout)![1]!.replace(/\s/g, '');
    // The payload is the script without its <# #> block, whose summary line heads the stub.
    const block = /^<#\n(.*)\n[\s\S]*?#>\n/.exec(full.stdout)!;
    assert.equal(gunzipSync(b85decode(payload)).toString('utf8'), full.stdout.slice(block[0].length));
    assert.ok(stub.stdout.startsWith('# win-k8s bootstrap stub'));
    assert.ok(stub.stdout.includes(`\n# ${block[1]!.trim()}\n`), 'the summary line heads the stub');
  });
});

describe('render: -o json and --output-file', () => {
  it('prints exactly one JSON document {script, target}', async () => {
    const r = await runCli(renderArgs(['-o', 'json']), { env });
    const doc = JSON.parse(r.stdout) as { script: string; target: Record<string, unknown> };
    assert.deepEqual(Object.keys(doc).sort(), ['script', 'target']);
    assert.equal(doc.target.nodeName, 'win-abcde');
    assert.equal(doc.target.windowsBuild, '10.0.20348');
    assert.ok(!JSON.stringify(doc.target).includes(TOKEN), 'target must not carry the token');
  });

  it('writes the script with mode 0600', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'win-k8s-render-'));
    const r = await runCli(renderArgs(['--output-file', 'node.ps1']), { env, cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(statSync(join(dir, 'node.ps1')).mode & 0o777, 0o600);
    assert.match(readFileSync(join(dir, 'node.ps1'), 'utf8'), /kind: JoinConfiguration/);
  });

  it('replaces an existing wider file with a new 0600 one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'win-k8s-render-'));
    writeFileSync(join(dir, 'node.ps1'), 'old', { mode: 0o644 });
    chmodSync(join(dir, 'node.ps1'), 0o644);
    const r = await runCli(renderArgs(['--output-file', 'node.ps1']), { env, cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(statSync(join(dir, 'node.ps1')).mode & 0o777, 0o600);
    assert.match(readFileSync(join(dir, 'node.ps1'), 'utf8'), /kind: JoinConfiguration/);
    assert.deepEqual(readdirSync(dir), ['node.ps1'], 'no temporary file left behind');
  });

  it('refuses a symlink or a directory at --output-file (exit 2) and leaves the link target untouched', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'win-k8s-render-'));
    const victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'keep me', { mode: 0o644 });
    chmodSync(victim, 0o644);
    symlinkSync(victim, join(dir, 'node.ps1'));
    const r = await runCli(renderArgs(['--output-file', 'node.ps1']), { env, cwd: dir });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--output-file: node\.ps1 is a symbolic link/);
    assert.equal(readFileSync(victim, 'utf8'), 'keep me');
    assert.equal(statSync(victim).mode & 0o777, 0o644);
    assert.ok(lstatSync(join(dir, 'node.ps1')).isSymbolicLink());
    const onDir = await runCli(renderArgs(['--output-file', '.']), { env, cwd: dir });
    assert.equal(onDir.code, 2, onDir.stderr);
    assert.match(onDir.stderr, /--output-file: \. is a directory/);
    const missing = await runCli(renderArgs(['--output-file', 'no-such-dir/node.ps1']), { env, cwd: dir });
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /--output-file: the directory of no-such-dir\/node\.ps1/);
  });
});

describe('render: bad input exits 2 and names the flag or field', () => {
  const cases: { name: string; args: string[]; env?: Record<string, string>; expect: RegExp; file?: string }[] = [
    { name: 'malformed token', args: renderArgs(), env: { WIN_K8S_TOKEN: 'abcdef.short' }, expect: /WIN_K8S_TOKEN: expected a kubeadm bootstrap token/ },
    { name: 'malformed token flag', args: renderArgs(['--token', 'ABCDEF.0123456789abcdef']), expect: /--token: expected a kubeadm bootstrap token/ },
    { name: 'malformed CA hash', args: renderArgs(['--ca-cert-hash', 'sha256:abc']), expect: /--ca-cert-hash: expected sha256:<64 hex digits>/ },
    { name: '16-character node name', args: renderArgs(['--node-name', 'win-0123456789ab']), expect: /--node-name: "win-0123456789ab" is 16 characters; Windows computer names are at most 15/ },
    { name: 'uppercase node name', args: renderArgs(['--node-name', 'Win-1']), expect: /--node-name: .*lowercase/ },
    { name: 'Windows Server 2016 on a modern cluster', args: renderArgs(['--windows-version', '2016']), expect: /Windows Server 2016 nodes were supported only by Kubernetes 1\.5-1\.13.*choose --windows-version 2022/ },
    { name: 'calico with docker', args: renderArgs(['--cni', 'calico', '--runtime', 'docker', '--checksum', `docker=${DOCKER_SHA}`]), expect: /Calico for Windows runs as HostProcess containers.*--runtime containerd/ },
    { name: 'hyperv with docker', args: renderArgs(['--hyperv-isolation', '--runtime', 'docker', '--checksum', `docker=${DOCKER_SHA}`]), expect: /Hyper-V isolated pods need containerd/ },
    { name: 'Windows Server 2025 on 1.33', args: renderArgs(['--windows-version', '2025']), expect: /Windows Server 2025 nodes need Kubernetes 1\.35 or newer/ },
    { name: 'containerd 1.7 on 1.36', args: renderArgs(['--kubernetes-version', '1.36.4', '--containerd-version', '1.7.33']), expect: /containerd 1\.7\.33 is not supported with Kubernetes 1\.36\+/ },
    { name: 'docker without a pinned checksum', args: renderArgs(['--runtime', 'docker']), expect: /--checksum: Docker publishes no checksum for docker-29\.2\.1\.zip/ },
    { name: 'unknown flag', args: renderArgs(['--kubernets-version', '1.2.3']), expect: /unknown option '--kubernets-version'/ },
    { name: 'bad choice', args: renderArgs(['--runtime', 'cri-o']), expect: /--runtime <runtime>' argument 'cri-o' is invalid/ },
    { name: 'bad label namespace', args: renderArgs(['--node-labels', 'kubernetes.io/role=win']), expect: /--node-labels: "kubernetes\.io\/role": kubelet may not set labels/ },
    { name: 'bad taint', args: renderArgs(['--node-taints', 'os=windows:Never']), expect: /--node-taints: "os=windows:Never": effect must be one of/ },
    { name: 'cidr with host bits', args: renderArgs(['--service-cidr', '10.96.0.1/12']), expect: /--service-cidr: "10\.96\.0\.1\/12" has host bits set; did you mean 10\.96\.0\.0\/12/ },
    { name: 'service CIDR equal to the cluster CIDR', args: renderArgs(['--service-cidr', '10.244.0.0/16']), expect: /--service-cidr 10\.244\.0\.0\/16 and --cluster-cidr 10\.244\.0\.0\/16 overlap/ },
    { name: 'service CIDR inside the cluster CIDR', args: renderArgs(['--service-cidr', '10.244.128.0/20']), expect: /--service-cidr 10\.244\.128\.0\/20 and --cluster-cidr 10\.244\.0\.0\/16 overlap/ },
    { name: 'cluster CIDR inside the service CIDR', args: renderArgs(['--service-cidr', '10.0.0.0/8']), expect: /--service-cidr 10\.0\.0\.0\/8 and --cluster-cidr 10\.244\.0\.0\/16 overlap/ },
    { name: "service CIDR overlapping flannel's default cluster CIDR", args: renderArgs(['--service-cidr', '10.244.0.0/24']).filter((a, i, all) => a !== '--cluster-cidr' && all[i - 1] !== '--cluster-cidr'), expect: /--service-cidr 10\.244\.0\.0\/24 and --cluster-cidr 10\.244\.0\.0\/16 \(default\) overlap/ },
    { name: 'http api server', args: renderArgs(['--api-server', 'http://10.0.0.1:6443']), expect: /--api-server: .*only https:\/\// },
    { name: 'bad version', args: renderArgs(['--kubernetes-version', '1.33']), expect: /--kubernetes-version: expected a Kubernetes version x\.y\.z/ },
    { name: 'missing token', args: renderArgs(), env: {}, expect: /--token: required: a bootstrap token/ },
    { name: 'bad checksum name', args: renderArgs(['--checksum', 'nssm=' + 'a'.repeat(64)]), expect: /--checksum: unknown artifact "nssm"/ },
    { name: 'bad env boolean', args: renderArgs(), env: { WIN_K8S_TOKEN: TOKEN, WIN_K8S_COMPRESS: 'maybe' }, expect: /WIN_K8S_COMPRESS: expected true or false/ },
    { name: 'bad output format', args: renderArgs(['-o', 'yaml']), expect: /--output <format>' argument 'yaml' is invalid/ },
    {
      name: 'bad YAML field',
      args: renderArgs(['-c', 'win-k8s.yaml']),
      file: 'pool:\n  count: 0\n  runtim: containerd\n',
      expect: /pool\.count \(in .*win-k8s\.yaml\): expected an integer >= 1[\s\S]*pool\.runtim \(in .*win-k8s\.yaml\): unknown field/,
    },
    { name: 'invalid YAML', args: renderArgs(['-c', 'win-k8s.yaml']), file: 'pool: [1,\n', expect: /invalid YAML at line/ },
    { name: 'missing config file', args: renderArgs(['-c', 'nope.yaml']), expect: /--config: config file .*nope\.yaml does not exist/ },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'win-k8s-bad-'));
      if (c.file) writeFileSync(join(dir, 'win-k8s.yaml'), c.file);
      const r = await runCli(c.args, { env: c.env ?? env, cwd: dir });
      assert.equal(r.code, 2, `exit ${r.code}\n${r.stderr}`);
      assert.match(r.stderr, c.expect);
      assert.equal(r.stdout, '', 'nothing rendered on bad input');
      assert.ok(!r.stderr.includes('0123456789abcdef'), 'token leaked');
    });
  }

  it('--allow-unsupported renders with a loud warning', async () => {
    const r = await runCli(renderArgs(['--windows-version', '2019', '--kubernetes-version', '1.19.16', '--allow-unsupported']), { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /UNSUPPORTED \(--allow-unsupported\): containerd on Windows is supported from Kubernetes 1\.20/);
    assert.deepEqual(parsePowerShell(r.stdout), []);
  });

  it('--allow-unsupported cannot render Windows Server 2016: the script would fail there (exit 2, with why)', async () => {
    for (const version of ['1.13.12', '1.16.15', '1.33.2']) {
      const r = await runCli(renderArgs(['--windows-version', '2016', '--runtime', 'docker', '--cni', 'none', '--kubernetes-version', version, '--allow-unsupported', '--checksum', `docker=${DOCKER_SHA}`]), { env });
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /win-k8s cannot bootstrap Windows Server 2016: it joins with kubeadm, which supports Windows nodes from Kubernetes 1\.16, while 2016 nodes were supported only up to 1\.13/);
      assert.doesNotMatch(r.stderr, /pass --allow-unsupported/);
    }
  });

  it('-o json reports a usage error as one JSON document too', async () => {
    const r = await runCli(renderArgs(['-o', 'json', '--node-name', 'x'.repeat(16)]), { env });
    assert.equal(r.code, 2);
    const doc = JSON.parse(r.stdout) as { error: { exitCode: number; problems: string[] } };
    assert.equal(doc.error.exitCode, 2);
    assert.match(doc.error.problems[0]!, /^--node-name:/);
  });
});

describe('render: values come from flag > environment > win-k8s.yaml > default', () => {
  const yaml = `apiVersion: win-k8s.io/v1alpha1
kind: Config
cluster:
  apiServer: https://cp.example.com:6443
  caCertHash: ${CA_HASH}
pool:
  kubernetesVersion: 1.34.11
  windowsVersion: 2019
  runtime: containerd
`;
  const base = ['render', '--node-name', 'win-abcde', '-o', 'json'];
  const target = async (args: string[], extraEnv: Record<string, string> = {}) => {
    const dir = mkdtempSync(join(tmpdir(), 'win-k8s-prec-'));
    writeFileSync(join(dir, 'win-k8s.yaml'), yaml);
    const r = await runCli([...base, ...args], { env: { ...env, ...extraEnv }, cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout).target as { kubernetesVersion: string; windowsVersion: string; apiServer: string; cni: string };
  };
  it('file over default', async () => {
    const t = await target([]);
    assert.equal(t.kubernetesVersion, '1.34.11');
    assert.equal(t.windowsVersion, '2019');
    assert.equal(t.apiServer, 'cp.example.com:6443');
    assert.equal(t.cni, 'flannel');
  });
  it('environment over file', async () => {
    const t = await target([], { WIN_K8S_KUBERNETES_VERSION: '1.35.9', WIN_K8S_WINDOWS_VERSION: '2022' });
    assert.equal(t.kubernetesVersion, '1.35.9');
    assert.equal(t.windowsVersion, '2022');
  });
  it('flag over environment', async () => {
    const t = await target(['--kubernetes-version', '1.37.1'], { WIN_K8S_KUBERNETES_VERSION: '1.35.9' });
    assert.equal(t.kubernetesVersion, '1.37.1');
  });
  it('WIN_K8S_OUTPUT selects JSON', async () => {
    const r = await runCli(renderArgs(), { env: { ...env, WIN_K8S_OUTPUT: 'json' } });
    assert.ok(JSON.parse(r.stdout).script);
  });
});

describe('schema', () => {
  it('prints the JSON Schema of win-k8s.yaml', async () => {
    const r = await runCli(['schema']);
    assert.equal(r.code, 0);
    const schema = JSON.parse(r.stdout) as { properties: Record<string, { properties?: Record<string, unknown> }>; additionalProperties: boolean };
    assert.ok(schema.properties.pool?.properties?.kubernetesVersion);
    assert.ok(schema.properties.cluster?.properties?.caCertHash);
    assert.equal(schema.additionalProperties, false);
  });
});

describe('parse helper self-check', () => {
  it('flags broken PowerShell', () => {
    assert.ok(parsePowerShell('function X {\n  if ($a) {\n').length > 0);
    assert.ok(parsePowerShell("$x = 'unterminated\n").length > 0);
    assert.deepEqual(parsePowerShell("$x = @{ a = 1 }\nWrite-Host 'ok'\n"), []);
  });
});

describe('render: the node follows the cluster\'s flannel VNI', () => {
  it('join passes the VNI plan read: net-conf and kube-proxy\'s HNS network (flannel.<VNI>) use it; below 4096 is refused', async () => {
    const { renderBootstrap } = await import('../../src/bootstrap/render.js');
    const req = {
      target: { windowsVersion: '2022' as const, kubernetesVersion: '1.33.2', runtime: 'containerd' as const, cni: 'flannel' as const, hypervIsolation: false },
      nodeName: 'win-abcde', apiServer: '10.0.0.10:6443', token: TOKEN, caCertHash: CA_HASH, serviceCidr: '10.96.0.0/12', clusterCidr: '10.244.0.0/16',
      labels: {}, taints: [], proxy: { noProxy: [] }, checksums: {}, allowUnsupported: false, toolVersion: 'test',
    };
    const script = renderBootstrap({ ...req, flannelVni: 5000 }).script;
    assert.match(script, /FlannelNetConf = '\{"Network":"10\.244\.0\.0\/16","Backend":\{"Type":"vxlan","VNI":5000,"Port":4789\}\}'/);
    assert.match(script, /'--network-name=flannel\.5000'/);
    assert.match(script, /"name":"flannel\.5000"/);
    assert.match(renderBootstrap(req).script, /'--network-name=flannel\.4096'/);
    assert.throws(() => renderBootstrap({ ...req, flannelVni: 1 }), /Windows needs a VXLAN VNI of 4096 or more/);
  });
});
