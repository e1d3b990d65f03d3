import type { CloudName, CloudProvider } from '../cloud/provider.js';
import type { ConfigFile } from '../config/schema.js';
import type { Placement } from '../cluster/provider-id.js';
import type { EventSink } from '../output/output.js';
import { UsageError } from '../errors.js';

/** Imports only the chosen cloud's SDK: each costs hundreds of milliseconds to load. */
export async function loadProvider(cloud: CloudName, config: ConfigFile, controlPlane: Placement | undefined, sink: EventSink, env: NodeJS.ProcessEnv): Promise<CloudProvider> {
  const pool = config.pool;
  switch (cloud) {
    case 'aws': {
      const { createAwsProvider } = await import('../cloud/aws/provider.js');
      return createAwsProvider({
        region: pool.region,
        controlPlane,
        env,
        ...pollTuning(env),
        sink,
        instanceType: pool.instanceType,
        diskSizeGb: pool.diskSizeGb,
        instanceProfile: config.aws.instanceProfile,
        subnetId: pool.subnetId,
        allowRdpFrom: pool.allowRdpFrom,
        image: pool.image,
        edition: pool.edition,
      });
    }
    default:
      throw new UsageError(`${cloud} is not supported yet; supported: aws`, { field: '--cloud' });
  }
}

/**
 * WIN_K8S_POLL_INTERVAL (milliseconds) sets how often cloud operations are polled. Production
 * pacing suits real clouds (seconds); emulators answer at once, and tests set it low.
 */
function pollTuning(env: NodeJS.ProcessEnv): { tuning?: { pollMinMs: number; pollMaxMs: number; dependencyRetryMs: number } } {
  const ms = Number(env.WIN_K8S_POLL_INTERVAL);
  if (!env.WIN_K8S_POLL_INTERVAL || !Number.isFinite(ms) || ms <= 0) return {};
  return { tuning: { pollMinMs: ms, pollMaxMs: ms, dependencyRetryMs: ms } };
}
