import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { Command, CommanderError } from 'commander';
import {
  ADMIN_TOKEN,
  FakeKubeApiServer,
  SimulatedKubelet,
  healthyKubeadmFlannel,
  makeNode,
  makePod,
  writeKubeconfigFor,
  type FakeClusterFixture,
  type SimulatedKubeletOptions,
} from '../fakes/kube-apiserver/index.js';
import { globalOptions } from '../../src/config/options.js';
import { addOptions } from '../../src/cli/options.js';
import { makeRunner } from '../../src/cli/run.js';
import { register } from '../../src/cli/commands/diagnose.js';
import type { DiagnoseDocument, CheckResult } from '../../src/diagnose/types.js';

/** The diagnose command wired as src/cli/main.ts wires it, in process, with captured output. */
export class Capture extends PassThrough {
  isTTY = false;
  text = '';
  constructor() {
    super();
    this.on('data', (c: Buffer) => (this.text += c.toString('utf8')));
  }
}

/** The same wiring as src/cli/main.ts, with only the diagnose command (main.ts is not ours to edit). */
export async function runDiagnose(args: string[], opts: { signal?: AbortSignal; env?: NodeJS.ProcessEnv } = {}) {
  const stdout = new Capture();
  const stderr = new Capture();
  const state = { exitCode: 0 };
  const program = new Command('win-k8s').exitOverride().configureOutput({ writeOut: (s) => stdout.write(s), writeErr: (s) => stderr.write(s) });
  addOptions(program, Object.values(globalOptions));
  const run = makeRunner({ env: { WIN_K8S_POLL_INTERVAL: '20', ...opts.env }, cwd: process.cwd(), streams: { stdin: { isTTY: false }, stdout, stderr }, toolVersion: '0.0.0-test', signal: opts.signal ?? new AbortController().signal }, state);
  register(program, run).exitOverride().configureOutput({ writeOut: (s) => stdout.write(s), writeErr: (s) => stderr.write(s) });
  let code: number;
  try {
    await program.parseAsync(['node', 'win-k8s', 'diagnose', ...args]);
    code = state.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) code = 2;
    else throw err;
  }
  await new Promise((r) => setImmediate(r));
  return { code, stdout: stdout.text, stderr: stderr.text };
}

export const DS_OWNER = (name: string) => ({ apiVersion: 'apps/v1', kind: 'DaemonSet', name, uid: `uid-${name}` });
export const tpl = (app: string, image: string) => ({ labels: { app }, containers: [{ name: app, image }] });

/** A Windows node with its kube-proxy and flannel pods running and one workload pod in range. */
export function putHealthyWindowsNode(fake: FakeKubeApiServer, name: string, opts: { octet: number; build?: string; kubelet?: string; runtime?: string; pool?: string }) {
  const ip = `10.0.2.${opts.octet}`;
  fake.store.put(
    makeNode({
      name,
      os: 'windows',
      internalIP: ip,
      podCIDR: `10.244.${opts.octet}.0/24`,
      ...(opts.build ? { windowsBuild: opts.build } : {}),
      ...(opts.kubelet ? { kubeletVersion: opts.kubelet } : {}),
      ...(opts.runtime ? { containerRuntimeVersion: opts.runtime } : {}),
      ...(opts.pool ? { labels: { 'win-k8s.io/pool': opts.pool } } : {}),
    }),
  );
  fake.store.put(makePod({ namespace: 'kube-system', name: `kube-proxy-windows-${name}`, nodeName: name, hostIP: ip, template: { ...tpl('kube-proxy', 'sigwindowstools/kube-proxy:v1.33.2'), hostNetwork: true }, owner: DS_OWNER('kube-proxy-windows') }));
  fake.store.put(makePod({ namespace: 'kube-flannel', name: `kube-flannel-ds-windows-${name}`, nodeName: name, hostIP: ip, template: { ...tpl('flannel', 'sigwindowstools/flannel:v0.26'), hostNetwork: true }, owner: DS_OWNER('kube-flannel-ds-windows') }));
  fake.store.put(makePod({ namespace: 'default', name: `web-${name}`, nodeName: name, hostIP: ip, podIP: `10.244.${opts.octet}.10`, template: tpl('web', 'mcr.microsoft.com/windows/servercore/iis:ltsc2022') }));
}

/** A fake cluster whose kubelets are up (SimulatedKubelet): pass `kubelet` to script pods. */
export async function withFake<T>(fixture: FakeClusterFixture, fn: (fake: FakeKubeApiServer, kubeconfig: string, kubelet: SimulatedKubelet) => Promise<T>, kubelet: SimulatedKubeletOptions = {}): Promise<T> {
  const fake = new FakeKubeApiServer({ ...fixture, latencyMs: 0 });
  await fake.start();
  const sim = new SimulatedKubelet(fake, kubelet).start();
  try {
    return await fn(fake, writeKubeconfigFor(fake, { token: ADMIN_TOKEN }), sim);
  } finally {
    sim.stop();
    await fake.stop();
  }
}

export const healthy = () => healthyKubeadmFlannel({ linuxOnlyDaemonSet: false });

/** diagnose -o json; API-side only unless `inCluster` (probes and node checks create pods). */
export async function diag(kubeconfig: string, args: string[] = [], opts: { inCluster?: boolean; signal?: AbortSignal } = {}) {
  const r = await runDiagnose(['--kubeconfig', kubeconfig, '-o', 'json', ...(opts.inCluster ? [] : ['--skip-probes', '--skip-node-checks']), ...args], opts);
  let doc: DiagnoseDocument;
  try {
    doc = JSON.parse(r.stdout) as DiagnoseDocument;
  } catch {
    throw new Error(`not JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
  const check = (id: string, node?: string): CheckResult => {
    const c = doc.checks.find((x) => x.id === id && (node === undefined || x.node === node));
    assert.ok(c, `no result for ${id} ${node ?? ''}: ${JSON.stringify(doc.checks.map((x) => `${x.id}@${x.node ?? ''}`))}`);
    return c;
  };
  return { ...r, doc, check };
}

