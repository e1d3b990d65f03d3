import { pollIntervalFromEnv } from '../config/poll-interval.js';
import type { CloudName, CloudProvider } from './provider.js';
import type { ConfigFile } from '../config/schema.js';
import type { Placement } from '../cluster/provider-id.js';
import type { EventSink } from '../output/output.js';

/** Imports only the chosen cloud's SDK: each costs hundreds of milliseconds to load. */
export async function loadProvider(cloud: CloudName, config: ConfigFile, controlPlane: Placement | undefined, sink: EventSink, env: NodeJS.ProcessEnv): Promise<CloudProvider> {
  const pool = config.pool;
  switch (cloud) {
    case 'aws': {
      const { createAwsProvider } = await import('./aws/provider.js');
      return createAwsProvider({
        region: pool.region,
        controlPlane,
        env,
        ...pollTuning(env),
        sink,
        instanceType: pool.instanceType,
        // No schema default: Azure's default is the image's size, which 100 would undercut.
        diskSizeGb: pool.diskSizeGb ?? 100,
        instanceProfile: config.aws.instanceProfile,
        publicIp: config.aws.externalIp,
        controlPlaneGroups: config.aws.controlPlaneGroups,
        subnetId: pool.subnetId,
        allowRdpFrom: pool.allowRdpFrom,
        image: pool.image,
        edition: pool.edition,
        nestedVirtualization: pool.hypervIsolation,
      });
    }
    case 'azure': {
      const { createAzureProvider } = await import('./azure/provider.js');
      return createAzureProvider({
        sink,
        subscription: config.azure.subscription,
        resourceGroup: config.azure.resourceGroup,
        location: config.azure.location ?? pool.region,
        vmSize: pool.instanceType,
        diskSizeGb: pool.diskSizeGb,
        diskType: config.azure.diskType,
        subnetId: pool.subnetId,
        allowRdpFrom: pool.allowRdpFrom,
        image: pool.image,
        edition: pool.edition,
        adminPasswordFile: config.azure.adminPasswordFile,
        endpoint: config.azure.endpoint,
        env,
        controlPlane,
        nestedVirtualization: pool.hypervIsolation,
        ...azurePollTuning(env),
      });
    }
    case 'gcp': {
      const { createGcpProvider } = await import('./gcp/provider.js');
      const poll = pollTuning(env).tuning;
      return createGcpProvider({
        sink,
        project: config.gcp.project,
        zone: config.gcp.zone,
        machineType: pool.instanceType,
        diskSizeGb: pool.diskSizeGb ?? 100,
        diskType: config.gcp.diskType,
        subnetwork: pool.subnetId,
        allowRdpFrom: pool.allowRdpFrom,
        image: pool.image,
        edition: pool.edition,
        externalIp: config.gcp.externalIp,
        env,
        controlPlane,
        nestedVirtualization: pool.hypervIsolation,
        allowUnsupported: pool.allowUnsupported,
        ...computeEndpoint(env),
        // Operations are waited for server-side; the interval only paces re-waits of slow ones.
        ...(poll ? { tuning: { pollMs: poll.pollMinMs } } : {}),
      });
    }
  }
}

/** WIN_K8S_POLL_INTERVAL as the AWS and GCP pollers' pace. */
function pollTuning(env: NodeJS.ProcessEnv): { tuning?: { pollMinMs: number; pollMaxMs: number; dependencyRetryMs: number } } {
  const ms = pollIntervalFromEnv(env);
  return ms === undefined ? {} : { tuning: { pollMinMs: ms, pollMaxMs: ms, dependencyRetryMs: ms } };
}

/** WIN_K8S_POLL_INTERVAL as the Azure SDK's long-running-operation poll interval. */
function azurePollTuning(env: NodeJS.ProcessEnv): { tuning?: { pollIntervalMs: number } } {
  const ms = pollIntervalFromEnv(env);
  return ms === undefined ? {} : { tuning: { pollIntervalMs: ms } };
}

/** gcloud's own override, CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE (e.g. a Private Service Connect URL). */
function computeEndpoint(env: NodeJS.ProcessEnv): { apiEndpoint?: string; port?: number; protocol?: 'http' | 'https' } {
  const override = env.CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE;
  if (!override) return {};
  const url = new URL(override);
  return { apiEndpoint: url.hostname, protocol: url.protocol === 'http:' ? 'http' : 'https', ...(url.port ? { port: Number(url.port) } : {}) };
}
