import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { askInit, renderInitConfig, type Prompter } from '../../src/init/wizard.js';
import { ConfigFile } from '../../src/config/schema.js';
import type { ClusterFacts } from '../../src/cluster/discovery.js';
import { runCli } from '../helpers/cli.js';

/** Answers from a script; records each question and the default it was offered. */
function scripted(answers: Record<string, string>): Prompter & { asked: { message: string; offered?: string }[] } {
  const asked: { message: string; offered?: string }[] = [];
  const answer = (message: string, offered?: string) => {
    asked.push({ message, ...(offered !== undefined ? { offered } : {}) });
    const key = Object.keys(answers).find((k) => message.startsWith(k));
    return key ? answers[key]! : offered ?? '';
  };
  return {
    asked,
    select: async (message, choices, defaultValue) => {
      const a = answer(message, defaultValue);
      assert.ok(choices.some((c) => c.value === a), `${a} is not a choice for ${message}`);
      return a as never;
    },
    input: async (message, defaultValue, validate) => {
      const a = answer(message, defaultValue);
      const ok = validate ? validate(a) : true;
      if (ok !== true) throw new Error(`${message}: ${ok}`);
      return a;
    },
  };
}

const facts = {
  name: 'prod',
  version: '1.35.9',
  flavor: 'kubeadm',
  cni: { type: 'calico', calico: { installation: true, encapsulations: ['VXLAN'] } },
  placement: { cloud: 'aws', providerId: 'aws:///eu-west-1a/i-0abc', zone: 'eu-west-1a', region: 'eu-west-1', instanceId: 'i-0abc' },
  nodes: [],
  notes: [],
} as unknown as ClusterFacts;

describe('init wizard', () => {
  it('offers what the cluster says as defaults and writes a config that validates', async () => {
    const p = scripted({ 'Number of Windows nodes': '3', 'Pool name': 'iis' });
    const answers = await askInit(p, facts, ['eu-west-1']);
    assert.equal(p.asked.find((q) => q.message === 'Cloud for the Windows VMs')?.offered, 'aws');
    assert.equal(p.asked.find((q) => q.message === 'Region')?.offered, 'eu-west-1');
    assert.equal(p.asked.find((q) => q.message.startsWith('Network plugin'))?.offered, 'calico');
    const text = renderInitConfig(answers, facts);
    assert.match(text, /^# win-k8s configuration/);
    const doc = ConfigFile.parse(parse(text));
    assert.equal(doc.pool.name, 'iis');
    assert.equal(doc.pool.count, 3);
    assert.equal(doc.pool.cni, 'calico');
    assert.equal(doc.pool.kubernetesVersion, '1.35.9');
    assert.equal(doc.pool.instanceType, 'm5.large');
  });

  it('rejects a pool name that cannot fit the 15-character node name', async () => {
    await assert.rejects(askInit(scripted({ Cloud: 'gcp', Region: 'europe-west1', 'Pool name': 'windows-pool' }), undefined, []), /at most 9/);
  });

  it('on Azure asks for a location, which may be left to the control plane\'s', async () => {
    const azureFacts = { ...facts, placement: { cloud: 'azure', providerId: 'azure:///subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/cp-0', subscription: 's', resourceGroup: 'rg', vmName: 'cp-0' } } as unknown as ClusterFacts;
    const p = scripted({});
    const answers = await askInit(p, azureFacts, []);
    assert.ok(p.asked.some((q) => q.message === "Location (empty: the control plane's)"), JSON.stringify(p.asked));
    const doc = ConfigFile.parse(parse(renderInitConfig(answers, azureFacts)));
    assert.equal(doc.cloud, 'azure');
    assert.equal(doc.pool.region, undefined, 'no location written: join takes the control plane\'s');
    // Without a control plane on Azure an empty location is refused, with an Azure example.
    await assert.rejects(askInit(scripted({ Cloud: 'azure' }), undefined, []), /a location such as eastus/);
  });

  it('refuses to run without a terminal (exit 2)', async () => {
    const r = await runCli(['init']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /needs a terminal/);
  });
});

describe('init wizard with the cloud\'s choices', () => {
  it('offers the subnets and instance types the cloud returns, and writes the chosen subnet', async () => {
    const p = scripted({ Subnet: 'subnet-b', 'Instance type': 'm6i.xlarge' });
    const answers = await askInit(p, facts, ['eu-west-1'], async (cloud) => {
      assert.equal(cloud, 'aws');
      return {
        subnets: [
          { id: 'subnet-a', cidr: '10.0.1.0/24', zone: 'eu-west-1a', network: 'vpc-1' },
          { id: 'subnet-b', cidr: '10.0.2.0/24', zone: 'eu-west-1b', network: 'vpc-1' },
        ],
        instanceTypes: ['m5.large', 'm6i.xlarge'],
      };
    });
    const doc = ConfigFile.parse(parse(renderInitConfig(answers, facts)));
    assert.equal(doc.pool.subnetId, 'subnet-b');
    assert.equal(doc.pool.instanceType, 'm6i.xlarge');
  });
});

describe('init --file is checked before the wizard asks anything', function () {
  this.timeout(20_000);

  /** main() with terminal streams, so init would start asking; a stop after 5 s ends the wizard if it did (exit 130). */
  async function initWithTerminal(args: string[], cwd: string) {
    const { PassThrough } = await import('node:stream');
    const { main } = await import('../../src/cli/main.js');
    const stderr = Object.assign(new PassThrough(), { isTTY: true });
    const stdout = Object.assign(new PassThrough(), { isTTY: true });
    let err = '';
    stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), 5_000);
    try {
      const code = await main(['node', 'win-k8s', 'init', ...args], { env: { KUBECONFIG: join(cwd, 'no-kubeconfig') }, cwd, streams: { stdin: { isTTY: true }, stdout, stderr }, signal: stop.signal });
      return { code, stderr: err };
    } finally {
      clearTimeout(timer);
    }
  }

  it('a missing directory or a directory at --file exits 2 naming --file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'win-k8s-init-'));
    const missing = await initWithTerminal(['--file', 'no-such-dir/win-k8s.yaml'], dir);
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /--file: the directory of no-such-dir\/win-k8s\.yaml/);
    const onDir = await initWithTerminal(['--file', '.', '--force'], dir);
    assert.equal(onDir.code, 2, onDir.stderr);
    assert.match(onDir.stderr, /--file: \. is a directory/);
  });
});

describe('init wizard: Windows versions come from the release table and the cluster', () => {
  it('offers 2022 first, never 2016 (Docker only), and only what the cluster\'s Kubernetes supports', async () => {
    const { windowsChoices } = await import('../../src/init/wizard.js');
    assert.deepEqual(windowsChoices(undefined), ['2022', '2025', '2019']);
    // 2025 needs Kubernetes 1.35+ (the matrix's rule): an older cluster is not offered it.
    assert.ok(!windowsChoices('1.33.2').includes('2025'));
    assert.ok(windowsChoices('1.35.9').includes('2025'));
    const p = scripted({});
    await askInit(p, { ...facts, version: '1.33.2' } as ClusterFacts, ['eu-west-1']);
    assert.equal(p.asked.find((a) => a.message === 'Windows Server version')?.offered, '2022');
  });
});
