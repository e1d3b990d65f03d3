import type * as k8s from '@kubernetes/client-node';
import { gunzipSync } from 'node:zlib';
import { psString } from '../bootstrap/powershell.js';
import { readTemplate } from '../bootstrap/templates.js';
import type { RunPowerShellResult } from '../cloud/provider.js';
import { expectedHnsNetwork, extractNodeReport, nodeChecksArguments, renderNodeChecksScript, type NodeChecksParams } from './node-report.js';
import { mapBounded } from '../util/bounded.js';
import type { NodeReportEntry, Snapshot } from './types.js';
import type { Workspace } from './workspace.js';

/**
 * Runs templates/diagnose/node-checks.ps1 on each selected Windows node and reads its report:
 * through a HostProcess pod where the runtime can run one (containerd), else through the
 * cloud's run-command for VMs win-k8s created (Docker nodes cannot run HostProcess
 * containers), else not at all, saying why. No SSH or WinRM is ever needed.
 */

// The minimal base image sig-windows-tools uses for HostProcess pods (a few KB, any build).
export const HOSTPROCESS_IMAGE = 'mcr.microsoft.com/oss/kubernetes/windows-host-process-containers-base-image:v1.0.0';
const SCRIPT_CONFIGMAP = 'win-k8s-node-checks';
const MOUNT = '/win-k8s';

/** A run-command path to one node, or why there is none. */
export type RemoteRunner = { run: (script: string, timeoutMs: number) => Promise<RunPowerShellResult> } | { skip: string };

export interface NodeExecOptions {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Resolves the cloud run-command for a node that cannot run HostProcess pods. */
  remote?: (node: k8s.V1Node) => Promise<RemoteRunner>;
  /** Also run the log collector next to the checks (for --bundle). */
  collect?: boolean;
  /** Receives what the collector printed, per node. */
  onCollected?: (node: string, log: string) => void;
  concurrency?: number;
}

export function runtimeOf(node: k8s.V1Node): string {
  return /^([a-z]+):\/\//.exec(node.status?.nodeInfo?.containerRuntimeVersion ?? '')?.[1] ?? 'unknown';
}

export function paramsFor(node: k8s.V1Node, snap: Snapshot): NodeChecksParams {
  const network = expectedHnsNetwork(snap.facts.cni);
  const dns = snap.services?.find((s) => s.metadata?.namespace === 'kube-system' && s.metadata?.name === 'kube-dns')?.spec?.clusterIP;
  return {
    // Only an exact name goes to the script (which reports it back); a pattern stays with the CLI's checks.
    ...(network && !network.pattern ? { networkName: network.name } : {}),
    ...(network?.type ? { networkType: network.type } : {}),
    ...(dns ? { dnsServiceIp: dns } : {}),
    ...(node.spec?.podCIDR ? { podCidr: node.spec.podCIDR } : {}),
    ...(snap.facts.endpoint ? { apiServerUrl: `https://${snap.facts.endpoint}` } : {}),
  };
}

/** `& "<mounted script>" -Name 'value' ...`: every value a single-quoted literal. */
function invocation(script: string, params: NodeChecksParams): string {
  const args = Object.entries(nodeChecksArguments(params))
    .filter(([, v]) => v !== undefined)
    .map(([name, v]) => `-${name} ${typeof v === 'number' ? String(v) : psString(String(v))}`);
  return [`& "$env:CONTAINER_SANDBOX_MOUNT_POINT${MOUNT}/${script}"`, ...args].join(' ');
}

function hostProcessContainer(name: string, command: string): k8s.V1Container {
  return {
    name,
    image: HOSTPROCESS_IMAGE,
    command: ['powershell.exe', '-NoLogo', '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command', command],
    volumeMounts: [{ name: 'scripts', mountPath: MOUNT, readOnly: true }],
  };
}

export function hostProcessPod(node: k8s.V1Node, snap: Snapshot, collect: boolean): k8s.V1Pod {
  const name = `node-checks-${node.metadata?.name ?? ''}`.slice(0, 253);
  return {
    metadata: { name, labels: { 'app.kubernetes.io/managed-by': 'win-k8s', 'win-k8s.io/node-checks': 'true' } },
    spec: {
      nodeName: node.metadata?.name ?? '',
      nodeSelector: { 'kubernetes.io/os': 'windows' },
      hostNetwork: true,
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 0,
      automountServiceAccountToken: false,
      securityContext: { windowsOptions: { hostProcess: true, runAsUserName: 'NT AUTHORITY\\SYSTEM' } },
      containers: [
        hostProcessContainer('node-checks', invocation('node-checks.ps1', paramsFor(node, snap))),
        ...(collect ? [hostProcessContainer('collect', `& "$env:CONTAINER_SANDBOX_MOUNT_POINT${MOUNT}/collect-logs.ps1"`)] : []),
      ],
      volumes: [{ name: 'scripts', configMap: { name: SCRIPT_CONFIGMAP } }],
    },
  };
}

const GZ_MARKER = 'WIN-K8S-NODE-REPORT-GZ ';

/**
 * For run-command transports, which keep little output (Azure Run Command: the last 4 KB of
 * each stream; SSM: the first 24,000 characters), the report is sent again gzip'd and base64'd
 * on one last line: a pretty-printed report shrinks to about a third.
 */
export function compactReportScript(rendered: string): string {
  return [
    '$winK8sOut = (& {',
    rendered,
    '} | Out-String)',
    "$winK8sMatch = [regex]::Match($winK8sOut, '(?s)WIN-K8S-NODE-REPORT-BEGIN\\s*(.*?)\\s*WIN-K8S-NODE-REPORT-END')",
    'if (-not $winK8sMatch.Success) { Write-Output $winK8sOut; exit 1 }',
    '$winK8sBytes = [System.Text.Encoding]::UTF8.GetBytes($winK8sMatch.Groups[1].Value)',
    '$winK8sPacked = New-Object System.IO.MemoryStream',
    '$winK8sGzip = New-Object System.IO.Compression.GZipStream -ArgumentList $winK8sPacked, ([System.IO.Compression.CompressionMode]::Compress)',
    '$winK8sGzip.Write($winK8sBytes, 0, $winK8sBytes.Length)',
    '$winK8sGzip.Close()',
    `Write-Output ('${GZ_MARKER}' + [Convert]::ToBase64String($winK8sPacked.ToArray()))`,
    '',
  ].join('\n');
}

function unpackCompact(output: string): string | undefined {
  const line = output.split(/\r?\n/).find((l) => l.startsWith(GZ_MARKER));
  if (!line) return undefined;
  try {
    return `WIN-K8S-NODE-REPORT-BEGIN\n${gunzipSync(Buffer.from(line.slice(GZ_MARKER.length).trim(), 'base64')).toString('utf8')}\nWIN-K8S-NODE-REPORT-END\n`;
  } catch {
    return undefined;
  }
}

function fromOutput(output: string, how: string): NodeReportEntry {
  const parsed = extractNodeReport(unpackCompact(output) ?? output);
  return 'report' in parsed ? parsed : { error: `${how}: ${parsed.error}` };
}

export async function collectNodeReports(ws: Workspace | undefined, snap: Snapshot, opts: NodeExecOptions): Promise<Map<string, NodeReportEntry>> {
  const out = new Map<string, NodeReportEntry>();
  const viaPod = snap.windowsNodes.filter((n) => runtimeOf(n) === 'containerd');
  if (ws && viaPod.length > 0) {
    await ws.createConfigMap(SCRIPT_CONFIGMAP, {
      'node-checks.ps1': readTemplate('diagnose/node-checks.ps1'),
      ...(opts.collect ? { 'collect-logs.ps1': readTemplate('diagnose/collect-logs.ps1') } : {}),
    });
  }
  // Pods are created a few at a time (the API server's rate), then awaited all together: the
  // script's run time, not the node count, sets the wall time.
  const created = await mapBounded(viaPod.filter(() => ws !== undefined), opts.concurrency ?? 16, async (node) => {
    const pod = hostProcessPod(node, snap, opts.collect === true);
    await ws!.createPod(pod);
    return { node, podName: pod.metadata!.name! };
  });
  const remoteNodes = snap.windowsNodes.filter((n) => !(ws && runtimeOf(n) === 'containerd'));
  await Promise.all([
    ...created.map(async ({ node, podName }) => {
      const name = node.metadata?.name ?? '';
      const [checks, collected] = await Promise.all([
        ws!.result(podName, 'node-checks', opts.timeoutMs, opts.signal),
        opts.collect ? ws!.result(podName, 'collect', opts.timeoutMs, opts.signal) : Promise.resolve(undefined),
      ]);
      if (collected && collected.notStarted === undefined) opts.onCollected?.(name, collected.log);
      if (checks.notStarted !== undefined) {
        out.set(name, { error: `the HostProcess pod ${checks.notStarted} (HostProcess needs containerd 1.6+ and a namespace allowed privileged pods)` });
        return;
      }
      out.set(name, fromOutput(checks.log, `the HostProcess pod exited ${checks.exitCode ?? '?'}`));
    }),
    mapBounded(remoteNodes, opts.concurrency ?? 16, async (node) => {
      const name = node.metadata?.name ?? '';
      const runtime = runtimeOf(node);
      const remote = opts.remote ? await opts.remote(node) : { skip: `a ${runtime} node cannot run HostProcess pods, and no cloud run-command is available` };
      if ('skip' in remote) {
        out.set(name, { skipped: remote.skip });
        return;
      }
      try {
        const r = await remote.run(compactReportScript(renderNodeChecksScript(paramsFor(node, snap))), opts.timeoutMs);
        out.set(name, fromOutput(`${r.stdout}\n${r.stderr}`, `run-command exited ${r.exitCode}`));
      } catch (err) {
        out.set(name, { error: `run-command failed: ${err instanceof Error ? err.message : String(err)}` });
      }
    }),
  ]);
  return out;
}
