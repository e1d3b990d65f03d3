import type { KubeObject, PodOutcome } from '../fakes/kube-apiserver/index.js';

/**
 * A scripted network for diagnose's probe pods under the SimulatedKubelet. It reads each
 * client pod the way the real probe does — the Windows targets from WIN_K8S_PROBE_TARGETS,
 * the Linux ones from the `agnhost connect` lines of its shell script — and answers every
 * attempt from `fault` (undefined: the packet got through), writing the log lines
 * templates/diagnose/probe.ps1 prints. A test states what is broken on the network; the
 * pods, targets and the reading of their logs are diagnose's own.
 */
export interface ProbeTarget {
  label: string;
  kind: string;
  name?: string;
  server?: string;
  tcp?: boolean;
  url?: string;
  host?: string;
  port?: number;
  address?: string;
  expect?: string;
}

export interface NetworkScenario {
  /** Why this attempt fails, or undefined when it succeeds. `attempt` counts from 1. */
  fault?: (node: string, target: ProbeTarget, attempt: number) => string | undefined;
  /** Pods that never start on a node: the waiting reason and the event a kubelet records. */
  notStarted?: (pod: KubeObject, node: string) => { reason: string; message: string; eventReason?: string } | undefined;
  /** Every pod the network saw, for assertions on specs. */
  seen?: KubeObject[];
  /**
   * The probe script stops after printing this many lines: with `exitCode` (a crash), or
   * without one (still running when diagnose gives up: a hang).
   */
  stop?: (pod: KubeObject, node: string) => { afterLines: number; exitCode?: number } | undefined;
}

type Container = { name: string; image: string; env?: Array<{ name: string; value?: string }>; command?: string[] };

export function probeNetwork(scenario: NetworkScenario): (pod: KubeObject, node: string) => PodOutcome | undefined {
  return (pod, node) => {
    const labels = pod.metadata?.labels ?? {};
    if (labels['win-k8s.io/probe'] !== 'true') return undefined;
    scenario.seen?.push(pod);
    const pending = scenario.notStarted?.(pod, node);
    if (pending) return { pending };
    const containers = ((pod['spec'] ?? {}) as { containers: Container[] }).containers;
    const probe = containers.find((c) => c.name === 'probe');
    // Servers keep running; a client pod ends when its probe container does.
    if (!probe) return undefined;
    const env = Object.fromEntries((probe.env ?? []).map((e) => [e.name, e.value ?? '']));
    const targets: ProbeTarget[] = env.WIN_K8S_PROBE_TARGETS ? (JSON.parse(env.WIN_K8S_PROBE_TARGETS) as ProbeTarget[]) : linuxTargets(probe.command ?? []);
    const repeat = Number(env.WIN_K8S_PROBE_REPEAT ?? /-lt (\d+)/.exec((probe.command ?? []).join(' '))?.[1] ?? 10);
    const lines: string[] = [];
    let failed = false;
    for (let attempt = 1; attempt <= repeat; attempt++) {
      for (const t of targets) {
        const why = scenario.fault?.(node, t, attempt);
        if (why) {
          failed = true;
          lines.push(`WIN-K8S-PROBE fail ${t.label} ${why}`);
        } else lines.push(`WIN-K8S-PROBE ok ${t.label} 3`);
      }
    }
    const stop = scenario.stop?.(pod, node);
    if (stop) {
      const log = lines.slice(0, stop.afterLines).join('\n') + '\n';
      return { containers: { probe: stop.exitCode === undefined ? { log } : { exitCode: stop.exitCode, log } } };
    }
    return { containers: { probe: { exitCode: failed ? 1 : 0, log: lines.join('\n') + '\n' } } };
  };
}

function linuxTargets(command: string[]): ProbeTarget[] {
  const script = command.join(' ');
  const out: ProbeTarget[] = [];
  for (const m of script.matchAll(/connect --timeout=\d+s (\S+) .*?WIN-K8S-PROBE ok (\S+)/g)) out.push({ label: m[2]!, kind: 'tcp', address: m[1]! });
  return out;
}
