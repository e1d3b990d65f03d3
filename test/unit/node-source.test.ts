import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { CloudProvider, CreateVmsRequest, ResolvedPlacement } from '../../src/cloud/provider.js';
import type { Cluster } from '../../src/cluster/client.js';
import { ConfigFile } from '../../src/config/schema.js';
import { UsageError } from '../../src/errors.js';
import { Output } from '../../src/output/output.js';
import { buildPlan } from '../../src/plan/plan.js';
import type { Bootstrapper } from '../../src/pool/bootstrapper.js';
import type { PoolDeps } from '../../src/pool/deps.js';
import { runJoin } from '../../src/pool/join.js';
import { vmBootstrapSource, type CreateNodesRequest, type ManagedPoolSource, type VmBootstrapSource } from '../../src/pool/node-source.js';
import { kubeadmFlannelFacts } from '../helpers/cluster-facts.js';

/**
 * The executor runs a plan through the NodeSource it is given: a test double that records
 * what it is asked stands in for the VMs, so no cloud and no cluster is involved. Provision
 * mode needs no cluster at all (no token, no Node to wait for: the console says when a
 * bootstrap is complete).
 */
const clusterFacts = kubeadmFlannelFacts();

const placement: ResolvedPlacement = { region: 'eu-west-1', networkId: 'vpc-1', subnetId: 'subnet-1', networkCidr: '10.0.0.0/16', extraFirewallIds: [] };

/** A provider that answers from memory and records every call by name. */
function recordingProvider(calls: string[]): CloudProvider {
  const record = <T>(name: string, value: T) => {
    calls.push(name);
    return Promise.resolve(value);
  };
  return {
    cloud: 'aws',
    listVms: () => record('listVms', []),
    resolveImage: () => record('resolveImage', { id: 'ami-0123456789abcdef0', name: 'Windows_Server-2022-English-Core-Base', containersPreinstalled: false }),
    resolvePlacement: () => record('resolvePlacement', placement),
    ensureFirewall: () => record('ensureFirewall', { id: 'sg-1', created: true }),
    createVms: (req: CreateVmsRequest) => record('createVms', req.vms.map((vm, i) => ({ nodeName: vm.nodeName, instanceId: `i-${i}` }))),
    consoleOutput: (id: string) => record(`consoleOutput ${id}`, 'win-k8s: boot started\nwin-k8s: complete done\n'),
    deleteVms: () => record('deleteVms', undefined),
    deletePoolResources: () => record('deletePoolResources', []),
    forgetBootstrap: (ids: string[]) => record(`forgetBootstrap ${ids.join(',')}`, undefined),
  };
}

function deps(): PoolDeps {
  const sink = new Writable({ write: (_chunk, _enc, done) => done() });
  return {
    cli: { get: () => ({ value: undefined, fromCli: false }) },
    env: {},
    configFile: undefined,
    cwd: process.cwd(),
    output: new Output({ format: 'json', color: false, verbose: false, live: false, stdout: sink, stderr: sink }),
    signal: new AbortController().signal,
    toolVersion: '0.0.0-test',
    confirm: () => Promise.resolve(true),
  };
}

const config = ConfigFile.parse({ cloud: 'aws', pool: { name: 'win', count: 2 } });
// The cluster is never reached in provision mode; any use of it fails the test.
const noCluster = new Proxy({}, { get: (_t, key) => assert.fail(`the cluster was used (${String(key)})`) }) as Cluster;

describe('NodeSource: the executor creates nodes through the source it is given', () => {
  it('runs a provision plan through a VM source: names, placement, image and firewall go to the source, not to createVms', async () => {
    const calls: string[] = [];
    const asked: CreateNodesRequest[] = [];
    const source: VmBootstrapSource = {
      kind: 'vm-bootstrapper',
      needsToken: false,
      createNodes: (req) => {
        asked.push(req);
        return Promise.resolve(req.names.map((nodeName, i) => ({ nodeName, instanceId: `i-src-${i}`, privateIp: `10.0.1.${i + 10}`, provisionSeconds: 3 })));
      },
    };
    const plan = buildPlan(config, { cluster: clusterFacts, checks: [], nodeNames: ['win-aaaaa', 'win-bbbbb'] }, 'provision');
    const { result, exitCode } = await runJoin({
      ctx: deps(),
      config,
      plan,
      facts: clusterFacts,
      cluster: noCluster,
      provider: recordingProvider(calls),
      mode: 'provision',
      source,
      concurrency: 3,
      timeoutMs: 10_000,
      onFailure: 'keep',
      consolePollMs: 5,
    });

    assert.equal(exitCode, 0);
    assert.equal(asked.length, 1);
    const req = asked[0]!;
    assert.deepEqual(req.names, ['win-aaaaa', 'win-bbbbb'], "the plan's names");
    assert.deepEqual(req.ref, { cluster: 'demo', pool: 'win' });
    assert.equal(req.placement, placement);
    assert.equal(req.image.id, 'ami-0123456789abcdef0');
    assert.equal(req.firewall.id, 'sg-1');
    assert.equal(req.token, undefined, 'provision creates no token');
    assert.equal(req.concurrency, 3);
    assert.ok(!calls.includes('createVms'), 'the executor creates nodes only through the source');
    assert.ok(calls.includes('forgetBootstrap i-src-0,i-src-1'), 'the bootstrap is forgotten for the instances the source made');
    assert.deepEqual(result.nodes.map((n) => [n.name, n.instanceId, n.status, n.phases.provision]), [
      ['win-aaaaa', 'i-src-0', 'Provisioned', 3],
      ['win-bbbbb', 'i-src-1', 'Provisioned', 3],
    ]);
    assert.deepEqual(result.steps.map((s) => [s.id, s.status]), [['firewall', 'done'], ['vms', 'done'], ['provisioned', 'done']]);
  });

  it('the VM source hands each name its bootstrapper script (with the run token) to the provider', async () => {
    const calls: string[] = [];
    const provider = recordingProvider(calls);
    let request: CreateVmsRequest | undefined;
    const createVms = provider.createVms.bind(provider);
    provider.createVms = (req) => {
      request = req;
      return createVms(req);
    };
    const bootstrapper: Bootstrapper = { kind: 'kubeadm-token', needsToken: true, script: (name, token) => `join ${name} with ${token}` };
    const source = vmBootstrapSource(provider, bootstrapper);
    assert.equal(source.needsToken, true);
    const signal = new AbortController().signal;
    const created = await source.createNodes({ ref: { cluster: 'demo', pool: 'win' }, names: ['win-a', 'win-b'], placement, image: { id: 'ami-1', name: 'x', containersPreinstalled: false }, firewall: { id: 'sg-1', created: false }, token: 'abcdef.0123456789abcdef', concurrency: 1, signal });
    assert.deepEqual(created.map((c) => c.instanceId), ['i-0', 'i-1']);
    assert.deepEqual(request?.vms, [
      { nodeName: 'win-a', script: 'join win-a with abcdef.0123456789abcdef' },
      { nodeName: 'win-b', script: 'join win-b with abcdef.0123456789abcdef' },
    ]);
    assert.equal(request?.signal, signal);
    assert.deepEqual(calls, ['createVms']);
  });

  it('a managed-pool source is refused by the plan and by the executor, before anything is created', async () => {
    assert.throws(
      () => buildPlan(config, { cluster: clusterFacts, checks: [], nodeNames: ['win-aaaaa'] }, 'join', 'managed-pool'),
      (err: unknown) => err instanceof UsageError && err.exitCode === 2 && /does not offer managed node pools/.test(err.message),
    );
    const calls: string[] = [];
    const managed: ManagedPoolSource = { kind: 'managed-pool', ensurePool: () => assert.fail('a managed pool was asked for') };
    const plan = buildPlan(config, { cluster: clusterFacts, checks: [], nodeNames: ['win-aaaaa'] }, 'provision');
    await assert.rejects(
      runJoin({ ctx: deps(), config, plan, facts: clusterFacts, cluster: noCluster, provider: recordingProvider(calls), mode: 'provision', source: managed, concurrency: 1, timeoutMs: 1000, onFailure: 'keep', consolePollMs: 5 }),
      (err: unknown) => err instanceof UsageError && /does not offer the managed-pool node source/.test(err.message),
    );
    assert.deepEqual(calls, [], 'no cloud call was made');
  });
});
