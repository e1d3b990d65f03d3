import type { ConfigSources } from '../config/sources.js';
import type { Output } from '../output/output.js';

/** Asks a person a yes/no question; resolves true without asking under --yes. */
export type Confirm = (message: string) => Promise<boolean>;

/**
 * What the pool lifecycle (join, provision, list, remove) needs from whoever runs it: the
 * settings' sources, where to report, when to stop and how to ask. Plain values, so tests and
 * future callers (an upgrade rollout) build one without the command layer.
 */
export interface PoolDeps extends ConfigSources {
  output: Output;
  /** Aborted on Ctrl-C / SIGTERM: long operations stop and clean up. */
  signal: AbortSignal;
  toolVersion: string;
  confirm: Confirm;
}
