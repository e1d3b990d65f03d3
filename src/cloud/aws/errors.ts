import { EnvironmentError, OperationError, UsageError, isWinK8sError, type WinK8sError } from '../../errors.js';

/**
 * Maps AWS SDK failures onto win-k8s's exit-code classes. Everything here may end up on a
 * terminal or in a JSON document, so any AWS-provided text passes through scrub() first.
 */

export interface AwsErrorContext {
  /** The API call, e.g. "ec2:RunInstances": named in "not allowed" and generic failures. */
  action: string;
  region?: string | undefined;
  /** Where the SDK sends requests, for "unreachable" messages. */
  endpoint?: string | undefined;
}

interface SdkErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/** The AWS error code (SDK exceptions carry it as `name`), or the Node socket error code. */
export function awsErrorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as SdkErrorLike;
  if (typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) return e.code;
  if (typeof e.name === 'string' && e.name !== 'Error') return e.name;
  if (typeof e.code === 'string') return e.code;
  return undefined;
}

export function hasAwsCode(err: unknown, ...codes: string[]): boolean {
  const code = awsErrorCode(err);
  return code !== undefined && codes.includes(code);
}

/**
 * Removes what must never be shown: kubeadm token look-alikes and long base64 runs (user data
 * is base64 and carries a token). AWS messages do not normally echo parameters; this makes sure.
 */
export function scrub(text: string): string {
  return text
    .replace(/\b[a-z0-9]{6}\.[a-z0-9]{16}\b/g, '<redacted>')
    .replace(/[A-Za-z0-9+/=]{120,}/g, '<redacted>')
    .slice(0, 600);
}

/** The AWS message without the encoded authorization blob UnauthorizedOperation appends. */
export function awsMessage(err: unknown): string {
  const raw = typeof err === 'object' && err !== null ? (err as SdkErrorLike).message : undefined;
  const text = typeof raw === 'string' ? raw : String(err);
  return scrub(text.replace(/\s*Encoded authorization failure message:.*$/s, ''));
}

const NETWORK_CODES = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'TimeoutError', 'RequestTimeout'];
const BAD_CREDENTIALS = ['AuthFailure', 'UnrecognizedClientException', 'InvalidClientTokenId', 'SignatureDoesNotMatch', 'IncompleteSignature', 'MissingAuthenticationToken', 'InvalidSignatureException', 'InvalidAccessKeyId'];
const EXPIRED = ['ExpiredToken', 'ExpiredTokenException', 'RequestExpired'];
const DENIED = ['UnauthorizedOperation', 'AccessDenied', 'AccessDeniedException', 'Blocked'];
export const THROTTLING_CODES = ['RequestLimitExceeded', 'Throttling', 'ThrottlingException', 'TooManyRequestsException'];

export function isNetworkFailure(err: unknown): boolean {
  return NETWORK_CODES.includes(awsErrorCode(err) ?? '');
}

/** Credentials, permissions and reachability: nothing else in the batch will work either. */
export function isEnvironmentFailure(err: unknown): boolean {
  if (isWinK8sError(err)) return err.exitCode === 3;
  const code = awsErrorCode(err) ?? '';
  return (
    code === 'CredentialsProviderError' ||
    BAD_CREDENTIALS.includes(code) ||
    EXPIRED.includes(code) ||
    DENIED.includes(code) ||
    NETWORK_CODES.includes(code) ||
    code === 'OptInRequired'
  );
}

const PERMISSIONS_HINT =
  'win-k8s needs ec2:DescribeImages, DescribeInstances, DescribeInstanceTypes, DescribeInstanceTypeOfferings, DescribeSubnets, ' +
  'DescribeVpcs, DescribeSecurityGroups, DescribeSecurityGroupRules, CreateSecurityGroup, AuthorizeSecurityGroupIngress, RevokeSecurityGroupIngress, ' +
  'DeleteSecurityGroup, RunInstances, CreateTags, TerminateInstances, GetConsoleOutput, iam:PassRole (with --instance-profile) ' +
  'and ssm:GetParameters on arn:aws:ssm:*::parameter/aws/service/ami-windows-latest/*';

/** Any failure of an AWS call, as the error the CLI reports. WinK8sErrors pass through. */
export function toWinK8sError(err: unknown, ctx: AwsErrorContext): WinK8sError {
  if (isWinK8sError(err)) return err;
  const code = awsErrorCode(err) ?? 'Error';
  const message = awsMessage(err);
  const where = ctx.region ? ` in ${ctx.region}` : '';

  if (code === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    return new EnvironmentError('no AWS credentials found', {
      cause: err,
      hint: 'configure credentials the AWS CLI way: AWS_PROFILE (run `aws sso login` for SSO profiles), AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or an instance/task role; `aws sts get-caller-identity` shows whether they work',
    });
  }
  if (/region is missing/i.test(message)) {
    return new UsageError('no AWS region given', { field: '--region', cause: err, hint: 'pass --region (or set AWS_REGION); by default win-k8s uses the control plane\'s region' });
  }
  if (BAD_CREDENTIALS.includes(code)) {
    return new EnvironmentError(`AWS rejected the credentials (${code})`, {
      cause: err,
      hint: 'check AWS_PROFILE / AWS_ACCESS_KEY_ID and that the keys are active; `aws sts get-caller-identity` shows which identity is used',
    });
  }
  if (EXPIRED.includes(code)) {
    return new EnvironmentError(`the AWS credentials have expired (${code})`, {
      cause: err,
      hint: 'refresh them (`aws sso login`, or new session credentials) and check that the system clock is right',
    });
  }
  if (DENIED.includes(code)) {
    return new EnvironmentError(`not allowed to call ${ctx.action}${where} (${code})`, {
      cause: err,
      hint: `${PERMISSIONS_HINT}. For UnauthorizedOperation, \`aws sts decode-authorization-message\` explains which policy denied it`,
    });
  }
  if (code === 'OptInRequired') {
    return new EnvironmentError(`the AWS account is not subscribed to EC2${where} (OptInRequired)`, {
      cause: err,
      hint: 'enable the region for the account (opt-in regions) or choose another with --region',
    });
  }
  if (NETWORK_CODES.includes(code)) {
    const target = ctx.endpoint ? `the AWS API at ${ctx.endpoint}` : `the AWS API${where}`;
    return new EnvironmentError(`cannot reach ${target} (${code})`, {
      cause: err,
      hint: 'check the network and DNS, the region name (--region), and AWS_ENDPOINT_URL if set; the AWS SDK does not use HTTPS_PROXY by itself',
    });
  }
  if (THROTTLING_CODES.includes(code)) {
    return new OperationError(`AWS kept throttling ${ctx.action}${where} after every retry (${code})`, {
      cause: err,
      hint: 'lower --concurrency, or retry in a few minutes when other tools in the account are less busy',
    });
  }
  return new OperationError(`${ctx.action} failed${where}: ${code}: ${message}`, { cause: err });
}

/** Runs one AWS step and converts its failure. */
export async function guard<T>(ctx: AwsErrorContext, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toWinK8sError(err, ctx);
  }
}
