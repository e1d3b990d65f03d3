import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { DOCKER_SHA, TOKEN, renderArgs, runCli } from '../helpers/cli.js';
import { PROJECT_ROOT, runPwsh } from '../helpers/pwsh.js';

/**
 * The Windows PowerShell 5.1 gate (ps51-gate.ps1): the tests run the scripts in pwsh 7, which
 * accepts what 5.1 rejects or mishandles, so this reads every script's AST with PowerShell's own
 * parser instead. One pwsh process per describe: pwsh takes about a second to start.
 */
const GATE = join(PROJECT_ROOT, 'test', 'powershell', 'ps51-gate.ps1');
const SAMPLES = join(PROJECT_ROOT, 'test', 'powershell', 'ps51-samples');

/** Every rule the gate has; each needs a sample that it catches. */
const RULES = [
  'ps51-parse-error',
  'ps51-native-stderr-redirect',
  'ps51-default-encoding',
  'ps51-utf8-bom',
  'ps51-syntax-7-only',
  'ps51-webrequest-basic-parsing',
  'ps51-tls12',
  'ps51-7-only-variable',
  'ps51-dotnet-core-api',
  'ps51-assembly-not-loaded',
  'ps51-requires-7',
  'ps51-non-ascii-source',
  'ps51-alias-not-native',
];

interface Finding {
  file: string;
  line: number;
  column: number;
  rule: string;
  message: string;
  text: string;
}

async function runGate(paths: string[], fragments: string[]): Promise<{ files: string[]; findings: Finding[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'win-k8s-ps51-'));
  try {
    // A list file keeps long path lists off the command line.
    const list = join(dir, 'scripts.txt');
    writeFileSync(list, paths.join('\n') + '\n');
    const args = ['-File', GATE, '-ListFile', list];
    if (fragments.length > 0) args.push('-Fragment', fragments.join(','));
    const r = await runPwsh(args, { cwd: PROJECT_ROOT });
    assert.equal(r.code, 0, `the gate failed (exit ${r.code}):\n${r.stderr}\n${r.stdout}`);
    const doc = JSON.parse(r.stdout) as { files: string[] | string; findings: Finding[] | Finding | null };
    // ConvertTo-Json writes a one-element array as the element itself.
    const files = Array.isArray(doc.files) ? doc.files : [doc.files];
    const findings = doc.findings === null ? [] : Array.isArray(doc.findings) ? doc.findings : [doc.findings];
    assert.deepEqual([...files].sort(), [...paths].sort(), 'the gate did not read every script');
    return { files, findings };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function describeFindings(findings: Finding[], label: (f: Finding) => string = (f) => f.file): string {
  return findings.map((f) => `  ${label(f)}:${f.line}:${f.column} [${f.rule}] ${f.text}\n      ${f.message}`).join('\n');
}

/**
 * What a sample expects, from its own comments: `# expect: rule[, rule]` on the offending line,
 * or `# expect@N: rule` for line N (a #requires line cannot carry a comment). Compared as a set
 * of line:rule pairs, so one construct reported twice on a line is still one expectation.
 */
function expectations(text: string): string[] {
  const out = new Set<string>();
  text.split(/\r?\n/).forEach((line, i) => {
    for (const m of line.matchAll(/# expect(?:@(\d+))?: ([\w, -]+)$/g)) {
      const at = m[1] ? Number(m[1]) : i + 1;
      for (const rule of m[2]!.split(',').map((s) => s.trim()).filter(Boolean)) out.add(`${at}:${rule}`);
    }
  });
  return [...out].sort();
}

describe('5.1 gate: rules catch the bad samples and pass the approved alternatives', function () {
  this.timeout(120_000);
  const samples = readdirSync(SAMPLES).filter((f) => f.endsWith('.ps1')).sort();
  let result: Finding[] = [];

  before(async () => {
    // *.assume-stop.* and *.fragment.* samples stand for template fragments (templates/bootstrap).
    const r = await runGate(samples.map((s) => join(SAMPLES, s)), ['*.assume-stop.*', '*.fragment.*']);
    result = r.findings;
  });

  for (const sample of samples) {
    it(sample, () => {
      const path = join(SAMPLES, sample);
      const expected = expectations(readFileSync(path, 'utf8'));
      const mine = result.filter((f) => f.file === path);
      const actual = [...new Set(mine.map((f) => `${f.line}:${f.rule}`))].sort();
      if (sample.includes('.good.')) assert.equal(expected.length, 0, 'a good sample must not expect findings');
      else assert.ok(expected.length > 0, 'a bad sample must mark what it expects with # expect: <rule>');
      assert.deepEqual(actual, expected, `findings differ from the sample's # expect markers:\n${describeFindings(mine, () => sample)}`);
    });
  }

  it('every rule has a bad sample that it catches and the gate knows every rule', () => {
    const caught = new Set(result.filter((f) => f.file.includes('.bad.')).map((f) => f.rule));
    assert.deepEqual(RULES.filter((r) => !caught.has(r)), [], 'rules without a caught bad sample');
    const gate = readFileSync(GATE, 'utf8');
    const used = new Set([...gate.matchAll(/'(ps51-[a-z0-9-]+)'/g)].map((m) => m[1]!));
    assert.deepEqual([...used].filter((r) => !RULES.includes(r)).sort(), [], 'rules in the gate missing from RULES (add samples)');
    // Each rule's samples come in pairs: a .bad. and a .good. sample named after the same topic.
    const topics = (kind: string) => new Set(samples.filter((s) => s.includes(`.${kind}.`) || s.endsWith(`.${kind}.ps1`)).map((s) => s.split('.')[0]));
    const bad = topics('bad');
    const good = topics('good');
    assert.deepEqual([...bad].filter((t) => t !== 'parse-error' && !good.has(t)).sort(), [], 'bad samples without a good counterpart');
  });
});

/** Rendered variants the gate must pass: every runtime, CNI and option that changes the script. */
const VARIANTS: [string, string[]][] = [
  ['default', []],
  ['docker-2019-1.23', ['--windows-version', '2019', '--runtime', 'docker', '--kubernetes-version', '1.23.17', '--checksum', `docker=${DOCKER_SHA}`]],
  // Docker publishes no checksum for its zip: every docker render must pin one.
  ['docker-2019-1.33', ['--runtime', 'docker', '--windows-version', '2019', '--kubernetes-version', '1.33.2', '--checksum', `docker=${DOCKER_SHA}`]],
  ['calico-2025-1.36', ['--windows-version', '2025', '--cni', 'calico', '--kubernetes-version', '1.36.1']],
  ['hyperv-isolation', ['--hyperv-isolation']],
  ['http-proxy', ['--http-proxy', 'http://proxy.example:3128']],
  ['compress-stub', ['--compress']],
];

describe("5.1 gate: the project's scripts", function () {
  this.timeout(180_000);
  const templateDirs = ['templates/bootstrap', 'templates/diagnose'];
  const templates = templateDirs.flatMap((d) =>
    readdirSync(join(PROJECT_ROOT, d))
      .filter((f) => f.endsWith('.ps1'))
      .sort()
      .map((f) => `${d}/${f}`),
  );
  let dir = '';
  const rendered = new Map<string, string>(); // path -> variant label
  const renderErrors: string[] = [];
  let findings: Finding[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'win-k8s-ps51-rendered-'));
    for (const [label, extra] of VARIANTS) {
      const r = await runCli(renderArgs(extra), { env: { WIN_K8S_TOKEN: TOKEN } });
      if (r.code !== 0) {
        renderErrors.push(`${label}: exit ${r.code}: ${r.stderr}`);
        continue;
      }
      const path = join(dir, `rendered-${label}.ps1`);
      writeFileSync(path, r.stdout);
      rendered.set(path, label);
    }
    // The bootstrap templates are fragments: 00-header.ps1 sets Stop and 90-main.ps1 TLS 1.2
    // for the assembled script; the rendered scripts are judged whole.
    const r = await runGate([...templates, ...rendered.keys()], ['templates/bootstrap/*']);
    findings = r.findings;
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('renders every variant', () => {
    assert.deepEqual(renderErrors, []);
    assert.equal(rendered.size, VARIANTS.length);
  });

  for (const template of templates) {
    it(`${template} has no 5.1 findings`, () => {
      const mine = findings.filter((f) => f.file === template);
      assert.equal(mine.length, 0, `${mine.length} finding(s):\n${describeFindings(mine)}`);
    });
  }

  for (const [label] of VARIANTS) {
    it(`rendered ${label} has no 5.1 findings`, () => {
      const path = [...rendered].find(([, l]) => l === label)?.[0];
      assert.ok(path, `${label} did not render`);
      const mine = findings.filter((f) => f.file === path);
      assert.equal(mine.length, 0, `${mine.length} finding(s):\n${describeFindings(mine, () => `rendered ${label}`)}`);
    });
  }

  it('found nothing outside the files it was given', () => {
    const known = new Set([...templates, ...rendered.keys()]);
    assert.deepEqual(findings.filter((f) => !known.has(f.file)).map((f) => relative(PROJECT_ROOT, f.file)), []);
  });
});
