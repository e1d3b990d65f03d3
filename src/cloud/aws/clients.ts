import { EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { RetryStrategyV2 } from './retry.js';

/**
 * The SDK clients for one region. This module is the reason src/cloud/aws is imported lazily:
 * @aws-sdk/client-ec2 alone costs about half a second to load.
 */
export interface AwsClients {
  ec2: EC2Client;
  ssm: SSMClient;
  region: string;
  /** A custom endpoint (tests, VPC endpoints), or undefined for the public one. */
  endpoint: string | undefined;
}

export function createClients(region: string, options: { endpoint?: string | undefined; retryStrategy: RetryStrategyV2 }): AwsClients {
  quietSdkWarnings();
  const config = {
    region,
    retryStrategy: options.retryStrategy,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  };
  return { ec2: new EC2Client(config), ssm: new SSMClient(config), region, endpoint: options.endpoint ?? process.env.AWS_ENDPOINT_URL };
}

/** The region of the AWS profile (~/.aws/config), read the way the SDK reads it. */
export async function profileRegion(): Promise<string | undefined> {
  quietSdkWarnings();
  const probe = new EC2Client({});
  try {
    return await probe.config.region();
  } finally {
    probe.destroy();
  }
}

/**
 * The SDK writes a Node-version notice to stderr when a client is built on Node 20, which
 * win-k8s supports. Only src/output writes to the terminal, so the notice is switched off
 * unless the user set the variable themselves.
 */
function quietSdkWarnings(): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}
