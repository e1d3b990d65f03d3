import type { CloudProvider, VmResult } from '../cloud/provider.js';
import type { Output } from '../output/output.js';
import { sleep } from '../util/sleep.js';
import type { NodeOutcome } from './result.js';

/** The bootstrap writes `win-k8s: <phase> <started|done|failed> <detail>` to the serial console. */

/** The last bootstrap lines, for a node that failed or timed out. */
export function consoleTail(text: string, lines = 10): string {
  const ours = text.split(/\r?\n/).filter((l) => l.includes('win-k8s:'));
  return ours.slice(-lines).join('\n');
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;

export interface ConsoleWatch {
  provider: Pick<CloudProvider, 'consoleOutput'>;
  output: Pick<Output, 'info' | 'error'>;
  mode: 'join' | 'provision';
  consolePollMs: number;
  timeoutMs: number;
  /** Ends the watch: the wait for the Nodes is over, or the run was interrupted. */
  signal: AbortSignal;
  vms: readonly VmResult[];
  createStarted: number;
  outcomes: Map<string, NodeOutcome>;
  /** A node whose console shows a failed phase: the wait for its Node can stop. */
  failed: (name: string) => void;
}

/**
 * Reads each booting VM's console until its first bootstrap line (the boot phase) and, for
 * provision, until the `complete done` line. Bounded by the timeout; stops when told to.
 *
 * The stop usually comes while a console read is in flight (the last Node turned Ready): the
 * signal is checked again after the read, and the pause between reads ends on it, so the join
 * returns at once instead of a whole poll interval (a minute by default) later.
 */
export async function watchConsoles(w: ConsoleWatch): Promise<void> {
  const deadline = Date.now() + w.timeoutMs;
  await Promise.all(
    w.vms.map(async (vm) => {
      const o = w.outcomes.get(vm.nodeName)!;
      while (!w.signal.aborted && Date.now() < deadline) {
        const text = await w.provider.consoleOutput(vm.instanceId!).catch(() => '');
        if (w.signal.aborted) return;
        if (o.phases.boot === undefined && /win-k8s: /.test(text)) {
          o.phases.boot = seconds(Date.now() - w.createStarted);
          w.output.info('bootstrap started (first console line)', vm.nodeName);
        }
        // A failed phase ends the bootstrap for good: waiting out --timeout would only hide it.
        if (/win-k8s: \S+ failed/.test(text)) {
          o.status = 'Failed';
          o.error = `bootstrap failed; last bootstrap lines:\n${consoleTail(text)}`;
          w.output.error('bootstrap failed (see its console)', vm.nodeName);
          w.failed(vm.nodeName);
          return;
        }
        if (w.mode === 'provision' && /win-k8s: complete done/.test(text)) {
          o.status = 'Provisioned';
          o.phases.ready = seconds(Date.now() - w.createStarted);
          return;
        }
        // Once booted, a joining node's console is only watched for a failure: a slower pace
        // spares the cloud's API (and its rate limits) when many nodes join at once.
        await sleep(w.mode === 'join' && o.phases.boot !== undefined ? w.consolePollMs * 4 : w.consolePollMs, w.signal);
      }
    }),
  );
}
