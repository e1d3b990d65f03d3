import { gzipSync } from 'node:zlib';
import { GetCommandInvocationCommand, SendCommandCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { InterruptedError, OperationError } from '../../errors.js';
import type { RunPowerShellOptions, RunPowerShellResult } from '../provider.js';
import { hasAwsCode } from './errors.js';
import { sleep } from './wait.js';

/**
 * PowerShell through SSM Run Command (AWS-RunPowerShellScript). The script travels gzip'd and
 * base64'd inside one command line that rebuilds it as a script block: the document's
 * parameters are small, and a diagnose script is tens of kilobytes.
 */

/** SSM keeps the first 24,000 characters of stdout in the API; the rest only goes to S3. */
export const SSM_OUTPUT_LIMIT = 24_000;
/** ... and only the first 8,000 characters of stderr. */
export const SSM_ERROR_LIMIT = 8_000;
/** AWS-RunPowerShellScript refuses an executionTimeout over 48 hours (its allowedPattern). */
export const SSM_MAX_EXECUTION_SECONDS = 172_800;
const TERMINAL = new Set(['Success', 'Failed', 'Cancelled', 'TimedOut', 'Cancelling', 'DeliveryTimedOut', 'ExecutionTimedOut', 'Undeliverable', 'Terminated', 'InvalidPlatform', 'AccessDenied']);

export function packScript(script: string): string {
  const payload = gzipSync(Buffer.from(script, 'utf8'), { level: 9 }).toString('base64');
  return [
    `$winK8sPayload = [Convert]::FromBase64String('${payload}')`,
    `$winK8sStream = New-Object System.IO.Compression.GZipStream -ArgumentList (New-Object System.IO.MemoryStream -ArgumentList @(, $winK8sPayload)), ([System.IO.Compression.CompressionMode]::Decompress)`,
    `$winK8sScript = (New-Object System.IO.StreamReader -ArgumentList $winK8sStream, ([System.Text.Encoding]::UTF8)).ReadToEnd()`,
    `& ([scriptblock]::Create($winK8sScript))`,
  ].join('\n');
}

export async function runPowerShellViaSsm(ssm: SSMClient, instanceId: string, script: string, opts: RunPowerShellOptions & { pollMs: number }): Promise<RunPowerShellResult> {
  if (opts.signal?.aborted) throw new InterruptedError('interrupted before SSM Run Command started');
  // Clamped rather than refused: SendCommand would reject the whole run, while a command that
  // really runs 48 hours ends ExecutionTimedOut, which the result says.
  const wantedSeconds = Math.max(30, Math.ceil(opts.timeoutMs / 1000));
  const executionSeconds = Math.min(wantedSeconds, SSM_MAX_EXECUTION_SECONDS);
  let commandId: string;
  try {
    const sent = await ssm.send(
      new SendCommandCommand({
        DocumentName: 'AWS-RunPowerShellScript',
        InstanceIds: [instanceId],
        Comment: 'win-k8s diagnose',
        Parameters: { commands: [packScript(script)], executionTimeout: [String(executionSeconds)] },
        TimeoutSeconds: Math.max(30, Math.min(executionSeconds, 2_592_000)),
      }),
    );
    commandId = sent.Command?.CommandId ?? '';
  } catch (err) {
    if (hasAwsCode(err, 'InvalidInstanceId')) {
      throw new OperationError(`SSM cannot run commands on ${instanceId}: it is not a managed instance`, {
        cause: err,
        hint: 'the SSM agent must run on the VM and its instance profile must allow it (the AmazonSSMManagedInstanceCore policy); or use --skip-node-checks',
      });
    }
    throw err;
  }
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    if (opts.signal?.aborted) throw new InterruptedError(`interrupted while SSM Run Command ${commandId} ran on ${instanceId}`);
    if (Date.now() > deadline) {
      throw new OperationError(`SSM Run Command ${commandId} on ${instanceId} did not finish within ${Math.round(opts.timeoutMs / 1000)}s`, {
        hint: `it may still be running: aws ssm cancel-command --command-id ${commandId}`,
      });
    }
    await sleep(opts.pollMs, opts.signal);
    let inv;
    try {
      inv = await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
    } catch (err) {
      // Right after SendCommand the invocation may not exist yet.
      if (hasAwsCode(err, 'InvocationDoesNotExist')) continue;
      throw err;
    }
    if (!TERMINAL.has(inv.Status ?? '')) continue;
    const stdout = inv.StandardOutputContent ?? '';
    const stderr = inv.StandardErrorContent ?? '';
    const notes = [stderr];
    if (stdout.length >= SSM_OUTPUT_LIMIT) notes.push(`win-k8s: SSM keeps only the first ${SSM_OUTPUT_LIMIT} characters of stdout; the rest was cut`);
    if (stderr.length >= SSM_ERROR_LIMIT) notes.push(`win-k8s: SSM keeps only the first ${SSM_ERROR_LIMIT} characters of stderr; the rest was cut`);
    if (inv.Status !== 'Success' && inv.Status !== 'Failed') notes.push(`win-k8s: SSM command ${commandId} ended ${inv.Status}${inv.StatusDetails ? ` (${inv.StatusDetails})` : ''}`);
    if (inv.StatusDetails === 'ExecutionTimedOut' && wantedSeconds > executionSeconds) notes.push(`win-k8s: SSM runs a command for at most ${SSM_MAX_EXECUTION_SECONDS} s; ${wantedSeconds} s were asked for`);
    return { exitCode: inv.ResponseCode ?? (inv.Status === 'Success' ? 0 : -1), stdout, stderr: notes.filter(Boolean).join('\n') };
  }
}
