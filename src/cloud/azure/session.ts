import type { TokenCredential } from '@azure/core-auth';
import type { HttpClient } from '@azure/core-rest-pipeline';
import type { ComputeManagementClient } from '@azure/arm-compute';
import type { NetworkManagementClient } from '@azure/arm-network';
import { EnvironmentError, UsageError, isWinK8sError } from '../../errors.js';
import type { EventSink } from '../../output/output.js';
import type { LroOptions } from './operations.js';

export interface AzureTuning {
  /** Retries of 5xx and network failures (429 is retried by the SDK's throttling policy on top). */
  maxRetries: number;
  retryDelayMs: number;
  maxRetryDelayMs: number;
  /**
   * How often long-running operations are polled when ARM sends no Retry-After. Undefined keeps
   * the SDK's own pacing (2 s), which suits ARM; emulators answer at once and tests set it low.
   */
  pollIntervalMs?: number | undefined;
}

export const DEFAULT_TUNING: AzureTuning = { maxRetries: 6, retryDelayMs: 2_000, maxRetryDelayMs: 60_000 };

export interface Session {
  compute: ComputeManagementClient;
  network: NetworkManagementClient;
  subscription: string;
  endpoint: string;
}

/** What the per-resource modules get from the provider for one call. */
export interface AzureContext {
  s: Session;
  sink: EventSink;
  /** Options for every long-running operation: the poll interval, and the caller's signal. */
  lro(abortSignal?: AbortSignal): LroOptions;
  /** The resource group of this run; throws the UsageError naming --resource-group when unknown. */
  rg(): string;
}

export interface ConnectOptions {
  sink: EventSink;
  /** --subscription, AZURE_SUBSCRIPTION_ID or the control plane's, whichever came first. */
  subscription: string | undefined;
  endpoint?: string | undefined;
  credential?: TokenCredential | undefined;
  httpClient?: HttpClient | undefined;
  env: NodeJS.ProcessEnv;
  tuning: AzureTuning;
}

export async function connect(o: ConnectOptions): Promise<Session> {
  const subscription = o.subscription;
  if (!subscription) {
    throw new UsageError('no Azure subscription given', { field: '--subscription', hint: 'pass --subscription or set AZURE_SUBSCRIPTION_ID; by default win-k8s uses the control plane\'s' });
  }
  const endpoint = (o.endpoint ?? o.env.AZURE_ARM_ENDPOINT ?? 'https://management.azure.com').replace(/\/+$/, '');
  const credential = o.credential ?? (await defaultCredential());
  // Loaded lazily: the Azure SDKs cost startup time that other clouds should not pay.
  const [{ ComputeManagementClient }, { NetworkManagementClient }] = await Promise.all([import('@azure/arm-compute'), import('@azure/arm-network')]);
  const retryOptions = { maxRetries: o.tuning.maxRetries, retryDelayInMs: o.tuning.retryDelayMs, maxRetryDelayInMs: o.tuning.maxRetryDelayMs };
  const common = { retryOptions, credentialScopes: [`${endpoint}/.default`], ...(o.httpClient ? { httpClient: o.httpClient } : {}) };
  // arm-compute 24 takes its token scope from credentials.scopes, arm-network from credentialScopes:
  // both must follow the endpoint, or sovereign clouds get tokens for the public cloud.
  const compute = new ComputeManagementClient(credential, subscription, { ...common, endpoint, credentials: { scopes: [`${endpoint}/.default`] } });
  const network = new NetworkManagementClient(credential, subscription, { ...common, endpoint });
  o.sink({ level: 'debug', message: `Azure subscription ${subscription}, endpoint ${endpoint}` });
  return { compute, network, subscription, endpoint };
}

async function defaultCredential(): Promise<TokenCredential> {
  try {
    const { DefaultAzureCredential } = await import('@azure/identity');
    return new DefaultAzureCredential();
  } catch (err) {
    if (isWinK8sError(err)) throw err;
    throw new EnvironmentError('cannot load the Azure identity library', { cause: err, hint: 'reinstall win-k8s (npm ci)' });
  }
}

export interface ArmId {
  subscription: string;
  resourceGroup: string;
  name: string;
}

/** /subscriptions/<s>/resourceGroups/<rg>/providers/<ns>/<type>/<name>[/...]: the first level. */
export function parseArmId(id: string, type: string): ArmId | undefined {
  const m = new RegExp(`^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/${type.replace('.', '\\.')}/([^/]+)`, 'i').exec(id);
  return m ? { subscription: m[1]!, resourceGroup: m[2]!, name: m[3]! } : undefined;
}

/** A VM's resource group and name from its id; a bare name is in this run's group. */
export function vmRef(ctx: Pick<AzureContext, 'rg'>, instanceId: string): { rg: string; name: string } {
  const id = parseArmId(instanceId, 'Microsoft.Compute/virtualMachines');
  return id ? { rg: id.resourceGroup, name: id.name } : { rg: ctx.rg(), name: instanceId };
}
