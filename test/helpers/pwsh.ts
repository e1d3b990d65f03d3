import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { elements, parseXml, type XmlElement } from './xml.js';

/**
 * PowerShell 7 and Pester for the tests, from the project's own install (scripts/setup-powershell.sh
 * puts both under .tools/). WIN_K8S_PWSH and WIN_K8S_PESTER point elsewhere. Nothing is skipped
 * when they are missing: the tests fail and say how to install them.
 */
export const PROJECT_ROOT = resolve(import.meta.dirname, '..', '..');
export const PWSH_VERSION = '7.6.10';
export const PESTER_VERSION = '5.7.1';
const SETUP = 'bash scripts/setup-powershell.sh';

export function pwshPath(): string {
  const candidates = [process.env.WIN_K8S_PWSH, join(PROJECT_ROOT, '.tools', 'pwsh')].filter((p): p is string => !!p);
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new Error(`PowerShell ${PWSH_VERSION} (pwsh) is not installed for the tests: run \`${SETUP}\` (needs the .NET SDK), or set WIN_K8S_PWSH`);
  }
  return found;
}

export function pesterModule(): string {
  const path = process.env.WIN_K8S_PESTER ?? join(PROJECT_ROOT, '.tools', 'nuget', 'pester', PESTER_VERSION, 'tools', 'Pester.psd1');
  if (!existsSync(path)) throw new Error(`Pester ${PESTER_VERSION} is not installed for the tests: run \`${SETUP}\`, or set WIN_K8S_PESTER`);
  return path;
}

export interface PwshResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs pwsh -NoProfile with arguments; never throws on a non-zero exit. */
export function runPwsh(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string; timeoutMs?: number } = {}): Promise<PwshResult> {
  const exe = pwshPath();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(exe, ['-NoProfile', '-NonInteractive', ...args], {
      cwd: opts.cwd,
      // Telemetry and update checks would try the network; the banner and colour codes add noise.
      env: { ...process.env, POWERSHELL_TELEMETRY_OPTOUT: '1', POWERSHELL_UPDATECHECK: 'Off', NO_COLOR: '1', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

export interface PesterCase {
  name: string;
  result: 'Success' | 'Failure' | 'Ignored' | 'Inconclusive' | string;
  message: string;
}

export interface PesterRun {
  total: number;
  failed: number;
  cases: PesterCase[];
  output: string;
}

function collectCases(e: XmlElement, out: PesterCase[]): void {
  for (const child of elements(e)) {
    if (child.name === 'test-case') {
      const failure = elements(child, 'failure')[0];
      const message = failure ? elements(failure).map((m) => m.children.filter((c) => typeof c === 'string').join('')).join('\n') : '';
      out.push({ name: child.attributes.name ?? child.attributes.description ?? '?', result: child.attributes.result ?? '?', message });
    } else {
      collectCases(child, out);
    }
  }
}

/**
 * Runs Pester on test files and reads its NUnit 2.5 report with the strict XML reader, so a
 * failing Pester test fails the mocha test that called this.
 */
export async function runPester(files: string[], env: NodeJS.ProcessEnv = {}): Promise<PesterRun> {
  const dir = mkdtempSync(join(tmpdir(), 'win-k8s-pester-'));
  const report = join(dir, 'pester.xml');
  try {
    const script = [
      "$ErrorActionPreference = 'Stop'",
      `Import-Module '${pesterModule().replace(/'/g, "''")}' -RequiredVersion ${PESTER_VERSION}`,
      '$c = New-PesterConfiguration',
      `$c.Run.Path = @(${files.map((f) => `'${f.replace(/'/g, "''")}'`).join(', ')})`,
      '$c.Run.Exit = $false',
      '$c.Output.Verbosity = "Normal"',
      '$c.TestResult.Enabled = $true',
      '$c.TestResult.OutputFormat = "NUnitXml"',
      `$c.TestResult.OutputPath = '${report.replace(/'/g, "''")}'`,
      'Invoke-Pester -Configuration $c',
    ].join('\n');
    const r = await runPwsh(['-Command', script], { env, timeoutMs: 300_000 });
    if (!existsSync(report)) throw new Error(`Pester wrote no report (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
    const xml = parseXml(readFileSync(report, 'utf8').replace(/^\uFEFF/, '').replace(/^<\?xml[^>]*\?>\s*/, ''));
    const cases: PesterCase[] = [];
    collectCases(xml, cases);
    return { total: cases.length, failed: cases.filter((c) => c.result === 'Failure' || c.result === 'Error').length, cases, output: r.stdout + r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Makes the mocha test fail with every failed Pester case named. */
export function assertPesterPassed(run: PesterRun, minimum: number): void {
  const failed = run.cases.filter((c) => c.result !== 'Success');
  if (failed.length > 0) {
    throw new Error(`${failed.length} of ${run.total} Pester tests did not pass:\n${failed.map((c) => `- ${c.name} [${c.result}]: ${c.message}`).join('\n')}\n--- Pester output ---\n${run.output.slice(-6000)}`);
  }
  if (run.total < minimum) throw new Error(`only ${run.total} Pester tests ran (expected at least ${minimum}):\n${run.output.slice(-4000)}`);
}

