import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { LINUX_AMI } from './amis.js';

export const FAKE_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing', sessionToken: 'testing' };

/** An EC2 client straight to moto (not through the proxy), for seeding and checking. */
export function motoEc2(url: string, region = 'us-east-1'): EC2Client {
  return new EC2Client({ region, endpoint: url, credentials: FAKE_CREDENTIALS, maxAttempts: 1 });
}

export interface SeededCluster {
  region: string;
  vpcId: string;
  vpcCidr: string;
  zone: string;
  /** The control plane's subnet. */
  subnetId: string;
  /** A second subnet, in another zone. */
  otherSubnetId: string;
  otherZone: string;
  controlPlaneGroupId: string;
  controlPlaneInstanceId: string;
  /** spec.providerID of the control-plane node, as the AWS cloud provider sets it. */
  providerId: string;
}

/**
 * A kubeadm-style cluster on EC2: a VPC with two subnets, a control-plane security group that
 * (like many quick setups) admits the API server from anywhere and everything from itself, and
 * one Linux control-plane instance tagged the way cluster tooling tags it.
 */
export async function seedCluster(url: string, options: { cluster?: string; vpcCidr?: string } = {}): Promise<SeededCluster> {
  const cluster = options.cluster ?? 'demo';
  const vpcCidr = options.vpcCidr ?? '10.20.0.0/16';
  const region = 'us-east-1';
  const ec2 = motoEc2(url, region);
  try {
    const vpc = await ec2.send(
      new CreateVpcCommand({ CidrBlock: vpcCidr, TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'Name', Value: `${cluster}-vpc` }] }] }),
    );
    const vpcId = vpc.Vpc!.VpcId!;
    const prefix = vpcCidr.split('.').slice(0, 2).join('.');
    const subnet = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `${prefix}.1.0/24`, AvailabilityZone: 'us-east-1a' }));
    const other = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `${prefix}.2.0/24`, AvailabilityZone: 'us-east-1b' }));
    const group = await ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: `${cluster}-control-plane`,
        Description: 'kubeadm control plane',
        VpcId: vpcId,
        TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: `kubernetes.io/cluster/${cluster}`, Value: 'owned' }] }],
      }),
    );
    const groupId = group.GroupId!;
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: 6443, ToPort: 6443, IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'API server' }] },
          { IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: groupId, Description: 'cluster internal' }] },
        ],
      }),
    );
    const run = await ec2.send(
      new RunInstancesCommand({
        ImageId: LINUX_AMI,
        InstanceType: 't3.large',
        MinCount: 1,
        MaxCount: 1,
        SubnetId: subnet.Subnet!.SubnetId!,
        SecurityGroupIds: [groupId],
        TagSpecifications: [
          {
            ResourceType: 'instance',
            Tags: [
              { Key: 'Name', Value: `${cluster}-cp-1` },
              { Key: `kubernetes.io/cluster/${cluster}`, Value: 'owned' },
              { Key: 'node-role.kubernetes.io/control-plane', Value: '' },
            ],
          },
        ],
      }),
    );
    const instanceId = run.Instances![0]!.InstanceId!;
    return {
      region,
      vpcId,
      vpcCidr,
      zone: 'us-east-1a',
      subnetId: subnet.Subnet!.SubnetId!,
      otherSubnetId: other.Subnet!.SubnetId!,
      otherZone: 'us-east-1b',
      controlPlaneGroupId: groupId,
      controlPlaneInstanceId: instanceId,
      providerId: `aws:///us-east-1a/${instanceId}`,
    };
  } finally {
    ec2.destroy();
  }
}

/** moto validates IamInstanceProfile on RunInstances; there is no IAM client in the project, so a raw query. */
export async function createInstanceProfile(url: string, name: string): Promise<string> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: 'AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: new URLSearchParams({ Action: 'CreateInstanceProfile', InstanceProfileName: name, Version: '2010-05-08' }).toString(),
  });
  const text = await res.text();
  const arn = /<Arn>([^<]+)<\/Arn>/.exec(text)?.[1];
  if (!res.ok || !arn) throw new Error(`CreateInstanceProfile failed: HTTP ${res.status} ${text.slice(0, 300)}`);
  return arn;
}

/**
 * The environment a spawned win-k8s gets to talk to moto (through the proxy at `endpoint`):
 * fake credentials, a region, and every credential chain kept off metadata addresses, so no
 * SDK ever probes one from a test.
 */
export function motoCliEnv(endpoint: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: FAKE_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: FAKE_CREDENTIALS.secretAccessKey,
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    METADATA_SERVER_DETECTION: 'none',
    WIN_K8S_POLL_INTERVAL: '100',
    NO_COLOR: '1',
    ...extra,
  };
}
