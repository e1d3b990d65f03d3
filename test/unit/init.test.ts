import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { askInit, awsRegionChoices, defaultAnswers, renderInitConfig, type Prompter } from '../../src/init/wizard.js';
import { runInit } from '../../src/init/run.js';
import { Output } from '../../src/output/output.js';
import { POOL_NAME_PATTERN, fieldDescription, fileOptionSpecs, jsonSchema } from '../../src/config/json-schema.js';
import { checkPoolName } from '../../src/config/validators.js';
import { PARTITIONS } from '../../src/cloud/aws/region.js';
import { validate } from '../helpers/json-schema.js';
import { ConfigFile } from '../../src/config/schema.js';
import type { ClusterFacts } from '../../src/cluster/discovery.js';
import { runCli } from '../helpers/cli.js';

/**
 * Answers from a script; records each question, the default it was offered, the choices and
 * what the validation said. A list of answers is typed in turn until one passes, as a person
 * re-typing after the prompt's message; an answer that never passes is an error.
 */
function scripted(answers: Record<string, string | string[]>): Prompter & { asked: { message: string; offered?: string; choices?: string[] }[]; refusals: string[] } {
  const asked: { message: string; offered?: string; choices?: string[] }[] = [];
  const refusals: string[] = [];
  const pick = (message: string) => Object.keys(answers).find((k) => message.startsWith(k));
  return {
    asked,
    refusals,
    select: async (message, choices, defaultValue) => {
      asked.push({ message, ...(defaultValue !== undefined ? { offered: defaultValue } : {}), choices: choices.map((c) => c.value) });
      const key = pick(message);
      const a = key ? [answers[key]!].flat()[0]! : defaultValue ?? choices[0]!.value;
      assert.ok(choices.some((c) => c.value === a), `${a} is not a choice for ${message}`);
      return a as never;
    },
    input: async (message, defaultValue, validate) => {
      asked.push({ message, offered: defaultValue });
      const key = pick(message);
      const tries = key ? [answers[key]!].flat() : [defaultValue];
      for (const a of tries) {
        const ok = validate ? validate(a) : true;
        if (ok === true) return a;
        refusals.push(`${message}: ${a}: ${ok}`);
      }
      throw new Error(`${message}: ${refusals.at(-1)}`);
    },
  };
}

const facts = {
  name: 'prod',
  version: '1.35.9',
  flavor: 'kubeadm',
  endpoint: '10.0.0.10:6443',
  endpointSource: 'cluster-info',
  cni: { type: 'calico', calico: { installation: true, encapsulations: ['VXLAN'] } },
  placement: { cloud: 'aws', providerId: 'aws:///eu-west-1a/i-0abc', zone: 'eu-west-1a', region: 'eu-west-1', instanceId: 'i-0abc' },
  nodes: [],
  notes: [],
} as unknown as ClusterFacts;

describe('init wizard', () => {
  it('offers what the cluster says as defaults and writes a config that validates', async () => {
    const p = scripted({ 'Number of Windows nodes': '3', 'Pool name': 'iis' });
    const answers = await askInit(p, facts);
    assert.equal(p.asked.find((q) => q.message === 'Cloud for the Windows VMs')?.offered, 'aws');
    assert.equal(p.asked.find((q) => q.message === 'Region')?.offered, 'eu-west-1');
    assert.equal(p.asked.find((q) => q.message.startsWith('Network plugin'))?.offered, 'calico');
    const text = renderInitConfig(answers, facts);
    assert.match(text, /^# yaml-language-server: \$schema=\S+\n# win-k8s configuration/);
    const doc = ConfigFile.parse(parse(text));
    assert.equal(doc.pool.name, 'iis');
    assert.equal(doc.pool.count, 3);
    assert.equal(doc.pool.cni, 'calico');
    assert.equal(doc.pool.kubernetesVersion, '1.35.9');
    assert.equal(doc.pool.instanceType, 'm5.large');
  });

  it('rejects a pool name that cannot fit the 15-character node name', async () => {
    await assert.rejects(askInit(scripted({ Cloud: 'gcp', Zone: 'europe-west1-b', 'Pool name': 'windows-pool' }), undefined), /at most 9/);
  });

  it('on Azure asks for a location, which may be left to the control plane\'s', async () => {
    const azureFacts = { ...facts, placement: { cloud: 'azure', providerId: 'azure:///subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/cp-0', subscription: 's', resourceGroup: 'rg', vmName: 'cp-0' } } as unknown as ClusterFacts;
    const p = scripted({});
    const answers = await askInit(p, azureFacts);
    assert.ok(p.asked.some((q) => q.message === "Location (empty: the control plane's)"), JSON.stringify(p.asked));
    const doc = ConfigFile.parse(parse(renderInitConfig(answers, azureFacts)));
    assert.equal(doc.cloud, 'azure');
    assert.equal(doc.pool.region, undefined, 'no location written: join takes the control plane\'s');
    // Without a control plane on Azure an empty location is refused, with an Azure example.
    await assert.rejects(askInit(scripted({ Cloud: 'azure' }), undefined), /a location such as eastus/);
  });

  it('refuses to run without a terminal (exit 2), pointing at --defaults', async () => {
    const r = await runCli(['init'], { cwd: mkdtempSync(join(tmpdir(), 'win-k8s-init-')) });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /needs a terminal/);
    assert.match(r.stderr, /--defaults/);
  });
});

describe('init wizard with the cloud\'s choices', () => {
  it('offers the subnets and instance types the cloud returns, and writes the chosen subnet', async () => {
    const p = scripted({ Subnet: 'subnet-b', 'Instance type': 'm6i.xlarge' });
    const answers = await askInit(p, facts, async (cloud, where) => {
      assert.equal(cloud, 'aws');
      assert.equal(where.region, 'eu-west-1', 'the region answered, not the SDK default');
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
    await askInit(p, { ...facts, version: '1.33.2' } as ClusterFacts);
    assert.equal(p.asked.find((a) => a.message === 'Windows Server version')?.offered, '2022');
  });
});

describe('init wizard: each answer is checked as it is given', () => {
  it('the count by the schema\'s limit (1 to 500), the pool name by --pool\'s rule', async () => {
    const p = scripted({ 'Number of Windows nodes': ['0', '501', 'two', '3'], 'Pool name': ['Win', 'windows-pool', 'iis'] });
    const a = await askInit(p, facts);
    assert.equal(a.count, 3);
    assert.equal(a.pool, 'iis');
    assert.deepEqual(
      p.refusals.map((r) => r.replace(/^[^:]*: /, '')),
      [
        'Win: "Win" must start with a lowercase letter and contain only lowercase letters, digits and \'-\'',
        'windows-pool: "windows-pool" is 12 characters; at most 9, so that "<pool>-<5 random>" fits the 15-character Windows computer name',
        '0: expected an integer >= 1',
        '501: expected at most 500',
        'two: a whole number >= 1',
      ],
    );
  });

  it('AWS regions are the SDK partitions\' names, the control plane\'s first; nothing else is offered', async () => {
    const p = scripted({});
    await askInit(p, facts);
    const q = p.asked.find((x) => x.message === 'Region')!;
    assert.equal(q.offered, 'eu-west-1');
    assert.equal(q.choices![0], 'eu-west-1');
    assert.deepEqual([...q.choices!].sort(), PARTITIONS.flatMap((x) => x.regions).sort());
    await assert.rejects(askInit(scripted({ Region: 'mars-1' }), facts), /mars-1 is not a choice/);
    assert.equal(awsRegionChoices(undefined)[0], PARTITIONS[0]!.regions[0]);
  });

  it('an Azure location is checked as the file checks it', async () => {
    const p = scripted({ Cloud: 'azure', Location: ['East US', 'west-europe', 'westeurope'] });
    const a = await askInit(p, undefined);
    assert.equal(a.region, 'westeurope');
    assert.equal(p.refusals.length, 2);
  });

  it('on GCP asks for a zone (the provider places VMs by zone) and writes gcp.zone', async () => {
    const p = scripted({ Cloud: 'gcp', Zone: ['us-central1', 'europe-west1-b'] });
    const a = await askInit(p, undefined);
    assert.match(p.refusals[0]!, /not a Compute Engine zone/);
    const doc = ConfigFile.parse(parse(renderInitConfig(a, undefined)));
    assert.equal(doc.gcp.zone, 'europe-west1-b');
    assert.equal(doc.pool.region, undefined);
    // The control plane's zone is the default.
    const gcpFacts = { ...facts, placement: { cloud: 'gcp', providerId: 'gce://p/us-east1-c/cp', project: 'proj-123', zone: 'us-east1-c', region: 'us-east1', instance: 'cp' } } as unknown as ClusterFacts;
    const q = scripted({ Cloud: 'gcp' });
    assert.equal((await askInit(q, gcpFacts)).zone, 'us-east1-c');
  });
});

describe('init wizard: only what plan accepts is offered', () => {
  it('on Kubernetes 1.25 Calico is not offered (it needs HostProcess, GA in 1.26), even when detected', async () => {
    const p = scripted({});
    const a = await askInit(p, { ...facts, version: '1.25.3' } as ClusterFacts);
    const q = p.asked.find((x) => x.message.startsWith('Network plugin'))!;
    assert.deepEqual(q.choices, ['flannel', 'none']);
    assert.equal(a.cni, 'flannel');
  });

  it('with Docker, Calico is not offered and the SHA-256 plan requires is asked and written', async () => {
    const sha = 'AB'.repeat(32);
    const p = scripted({ 'Container runtime': 'docker', 'SHA-256': ['latest', sha] });
    const a = await askInit(p, facts);
    assert.deepEqual(p.asked.find((x) => x.message.startsWith('Network plugin'))!.choices, ['flannel', 'none']);
    const doc = ConfigFile.parse(parse(renderInitConfig(a, facts)));
    assert.equal(doc.pool.runtime, 'docker');
    assert.deepEqual(doc.pool.checksums, { docker: sha.toLowerCase() });
  });
});

describe('init wizard: a cluster no Windows release supports', () => {
  it('offers nothing (not every release, which plan would refuse) and says why, exit 3', async () => {
    const { windowsChoices } = await import('../../src/init/wizard.js');
    assert.deepEqual(windowsChoices('1.18.0'), []);
    const old = { ...facts, version: '1.18.0' } as ClusterFacts;
    for (const attempt of [() => askInit(scripted({}), old), async () => defaultAnswers(old)]) {
      await assert.rejects(attempt(), (e: Error & { exitCode?: number; hint?: string }) => {
        assert.equal(e.exitCode, 3);
        assert.match(e.message, /^the cluster runs Kubernetes 1\.18\.0, which no Windows Server release win-k8s joins supports: \S/);
        return true;
      });
    }
  });
});

describe('init wizard: the join endpoint when cluster-info holds a loopback address', () => {
  const loopback = { ...facts, endpoint: '127.0.0.1:6443', endpointSource: 'cluster-info' } as ClusterFacts;

  it('asks for one the nodes can reach, refusing loopback, and writes it as cluster.apiServer', async () => {
    const p = scripted({ 'API server endpoint': ['', '127.0.0.1:6443', 'localhost', 'https://cp.example.internal'] });
    const a = await askInit(p, loopback);
    assert.match(p.asked.find((x) => x.message.startsWith('API server endpoint'))!.message, /cluster-info says 127\.0\.0\.1:6443/);
    assert.equal(p.refusals.length, 3);
    const doc = ConfigFile.parse(parse(renderInitConfig(a, loopback)));
    assert.equal(doc.cluster.apiServer, 'cp.example.internal:6443');
  });

  it('does not ask when cluster-info holds a reachable address', async () => {
    const p = scripted({});
    await askInit(p, facts);
    assert.ok(!p.asked.some((x) => x.message.startsWith('API server endpoint')));
  });
});

describe('the file init writes', () => {
  const schema = jsonSchema();

  it('starts with the yaml-language-server line and has a comment above every field', async () => {
    const text = renderInitConfig(await askInit(scripted({ 'Container runtime': 'docker', 'SHA-256': 'a'.repeat(64) }), { ...facts, endpoint: '127.0.0.1:6443' } as ClusterFacts, undefined, { apiServer: '10.0.0.10:6443' }).then((a) => ({ ...a, apiServer: '10.0.0.10:6443' })), facts, './win-k8s.schema.json');
    assert.equal(text.split('\n')[0], '# yaml-language-server: $schema=./win-k8s.schema.json');
    const lines = text.split('\n');
    // Fields of the schema's objects; keys of a map (checksums.docker) are the user's names, not fields.
    const fields = lines.map((l, i) => ({ l, i })).filter(({ l }) => /^( {2})?[A-Za-z]+:/.test(l));
    assert.ok(fields.length >= 12, text);
    for (const { l, i } of fields) assert.match(lines[i - 1]!, /^\s*#\s\S/, `no comment above "${l}":\n${text}`);
    assert.ok(text.includes(`  # ${fieldDescription('pool.name')}\n  name: win\n`), text);
  });

  it('validates against the JSON Schema (checked by a strict validator), which refuses what the CLI refuses', async () => {
    for (const [cloud, extra] of [['aws', {}], ['azure', { Location: 'westeurope' }], ['gcp', { Zone: 'europe-west1-b' }]] as const) {
      const a = await askInit(scripted({ Cloud: cloud, ...extra }), undefined);
      const doc = parse(renderInitConfig(a, undefined)) as Record<string, unknown>;
      assert.deepEqual(validate(schema, doc), [], cloud);
      assert.ok(ConfigFile.safeParse(doc).success);
      // The checker can fail: a pool name the CLI refuses, an unknown field.
      assert.notDeepEqual(validate(schema, { ...doc, pool: { ...(doc.pool as object), name: 'windows-pool' } }), []);
      assert.notDeepEqual(validate(schema, { ...doc, pool: { ...(doc.pool as object), nodes: 3 } }), []);
    }
    assert.deepEqual(validate(schema, { pool: { windowsVersion: 2022 } }), [], 'an unquoted 2022 is what YAML gives; the CLI takes it');
  });

  it('the JSON Schema describes every field, each option\'s field with its flag\'s help text', () => {
    const missing: string[] = [];
    const walk = (n: Record<string, unknown>, path: string) => {
      if (typeof n.description !== 'string' || n.description.length < 5) missing.push(path || '(root)');
      for (const [k, c] of Object.entries((n.properties ?? {}) as Record<string, Record<string, unknown>>)) walk(c, path ? `${path}.${k}` : k);
    };
    walk(schema, '');
    assert.deepEqual(missing, []);
    const prop = (path: string) => path.split('.').reduce<Record<string, unknown> | undefined>((n, k) => (n?.properties as Record<string, Record<string, unknown>> | undefined)?.[k], schema);
    const specs = [...fileOptionSpecs()];
    assert.ok(specs.length > 30);
    for (const [path, spec] of specs) {
      const node = prop(path);
      assert.ok(node, `${path} (${spec.flags}) is not in the schema`);
      assert.ok(String(node.description).startsWith(spec.description), path);
    }
  });

  it('the pool-name pattern is checkPoolName\'s rule', () => {
    const re = new RegExp(POOL_NAME_PATTERN, 'u');
    for (const name of ['win', 'w', 'a-b', 'iis2019', 'abcdefghi', 'abcdefghij', 'Win', '1win', 'win-', '-win', 'w_n', '', 'a--b', 'win.1']) {
      assert.equal(re.test(name), checkPoolName(name) === undefined, name);
    }
  });
});

describe('init --defaults and a late error', () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'win-k8s-init-'));
  const output = () => {
    let err = '';
    const stream = { write: (c: string) => ((err += c), true) } as unknown as NodeJS.WritableStream;
    return { output: new Output({ format: 'human', stdout: stream, stderr: stream, color: false } as never), text: () => err };
  };
  const deps = (cwd: string, o: ReturnType<typeof output>, readCluster: () => Promise<ClusterFacts> = async () => facts) => ({
    output: o.output,
    env: {},
    cwd,
    signal: new AbortController().signal,
    interactive: false,
    readCluster,
    prompter: async () => {
      throw new Error('--defaults asks nothing');
    },
  });

  it('writes the defaults and the schema beside them without asking', async () => {
    const cwd = dir();
    const o = output();
    assert.equal(await runInit(deps(cwd, o), { file: 'win-k8s.yaml', fileField: '--file', force: false, defaults: true }), 0);
    const doc = ConfigFile.parse(parse(readFileSync(join(cwd, 'win-k8s.yaml'), 'utf8')));
    assert.deepEqual(doc.pool, ConfigFile.parse({ pool: { ...doc.pool } }).pool);
    assert.equal(doc.cloud, 'aws');
    assert.equal(doc.pool.cni, 'calico');
    assert.equal(doc.pool.count, defaultAnswers(facts).count);
    const written = JSON.parse(readFileSync(join(cwd, 'win-k8s.schema.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(written, JSON.parse(JSON.stringify(jsonSchema())));
    assert.deepEqual(validate(written, parse(readFileSync(join(cwd, 'win-k8s.yaml'), 'utf8'))), []);
    assert.match(o.text(), /wrote .*win-k8s\.yaml and win-k8s\.schema\.json/);
  });

  it('a schema file that is not ours is left alone, and the file gets no schema line it cannot honour', async () => {
    const cwd = dir();
    writeFileSync(join(cwd, 'win-k8s.schema.json'), '{"mine": true}');
    const o = output();
    assert.equal(await runInit(deps(cwd, o), { file: 'win-k8s.yaml', fileField: '--file', force: false, defaults: true }), 0);
    assert.equal(readFileSync(join(cwd, 'win-k8s.schema.json'), 'utf8'), '{"mine": true}');
    const text = readFileSync(join(cwd, 'win-k8s.yaml'), 'utf8');
    assert.doesNotMatch(text, /yaml-language-server/);
    assert.match(text, /^# win-k8s configuration/);
    assert.match(o.text(), /win-k8s\.schema\.json is not win-k8s's schema and was left alone.*win-k8s schema > <file>/);
  });

  it('with a loopback cluster-info, --defaults needs --api-server (exit 2 naming it) and writes it when given', async () => {
    const cwd = dir();
    const loopback = async () => ({ ...facts, endpoint: '127.0.0.1:6443' }) as ClusterFacts;
    await assert.rejects(runInit(deps(cwd, output(), loopback), { file: 'a.yaml', fileField: '--file', force: false, defaults: true }), (e: Error & { exitCode?: number }) => {
      assert.equal(e.exitCode, 2);
      assert.match(e.message, /^--api-server: cluster-info gives the API endpoint 127\.0\.0\.1:6443, a loopback address/);
      return true;
    });
    assert.ok(!existsSync(join(cwd, 'a.yaml')));
    await assert.rejects(runInit(deps(cwd, output(), loopback), { file: 'a.yaml', fileField: '--file', force: false, defaults: true, apiServer: 'localhost:6443' }), /--api-server: localhost:6443 is a loopback address/);
    assert.equal(await runInit(deps(cwd, output(), loopback), { file: 'a.yaml', fileField: '--file', force: false, defaults: true, apiServer: '10.0.0.10' }), 0);
    assert.equal(ConfigFile.parse(parse(readFileSync(join(cwd, 'a.yaml'), 'utf8'))).cluster.apiServer, '10.0.0.10:6443');
  });

  it('when the file cannot be written after the answers, they are saved aside and the error says where', async () => {
    const cwd = dir();
    // The file appears while the questions are asked (another init, an editor): never overwritten without --force.
    const racing = async () => {
      writeFileSync(join(cwd, 'win-k8s.yaml'), 'theirs\n');
      return facts;
    };
    let aside = '';
    await assert.rejects(runInit(deps(cwd, output(), racing), { file: 'win-k8s.yaml', fileField: '--file', force: false, defaults: true }), (e: Error & { exitCode?: number; hint?: string }) => {
      assert.equal(e.exitCode, 1);
      const m = /could not be written: EEXIST; your answers are saved in (\S+)$/.exec(e.message);
      assert.ok(m, e.message);
      aside = m[1]!;
      assert.match(e.hint ?? '', /^fix the cause, then: cp /);
      return true;
    });
    assert.equal(readFileSync(join(cwd, 'win-k8s.yaml'), 'utf8'), 'theirs\n');
    const saved = ConfigFile.parse(parse(readFileSync(aside, 'utf8')));
    assert.equal(saved.pool.cni, 'calico');
  });
});
