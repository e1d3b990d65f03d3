import type { HttpClient } from '@azure/core-rest-pipeline';
import { OperationError } from '../../errors.js';
import { scrub } from './errors.js';
import { EXTENSION_NAME } from './extension.js';
import { vmRef, type AzureContext } from './session.js';

/** The serial console log, with what the bootstrap extension's status adds to it. */
export async function consoleOutput(ctx: AzureContext, httpClient: HttpClient | undefined, instanceId: string): Promise<string> {
  const { rg, name } = vmRef(ctx, instanceId);
  const data = await ctx.s.compute.virtualMachines.retrieveBootDiagnosticsData(rg, name, { sasUriExpirationTimeInMinutes: 5 });
  const serial = data.serialConsoleLogBlobUri ? await fetchBlob(data.serialConsoleLogBlobUri, httpClient) : '';
  return serial + (await extensionOutput(ctx, rg, name, serial));
}

/**
 * What the Custom Script Extension's status adds to the serial log.
 *
 * The bootstrap writes each phase line to COM1 and, through Write-Host, to its stdout, which the
 * extension keeps (the last 4 KB) in its StdOut substatus. Where COM1 stays empty (the Serial
 * Console's SAC holds it) those lines are the only ones: they are added, as `win-k8s: ...`
 * without the log's timestamp, unless the serial log has them already. The extension reports
 * stdout once its command has ended, and the part of the bootstrap that runs after the features
 * reboot comes from the resume task, not the extension: that part shows on COM1 only.
 *
 * A bootstrap that failed before it could write to COM1 (PowerShell refused to start, the
 * customData file missing) shows only in the extension's status: appended in the console's
 * own line format so the join's TimedOut report carries it.
 */
async function extensionOutput(ctx: AzureContext, rg: string, vmName: string, serial: string): Promise<string> {
  const ext = await ctx.s.compute.virtualMachineExtensions.get(rg, vmName, EXTENSION_NAME, { expand: 'instanceView' }).catch(() => undefined);
  const view = ext?.instanceView;
  const seen = new Set(serial.split(/\r?\n/).map((l) => l.trim()));
  const stdout = view?.substatuses?.find((st) => /StdOut/i.test(st.code ?? ''))?.message ?? '';
  const phases = stdout
    .split(/\r?\n/)
    .map((l) => /win-k8s: .*$/.exec(l)?.[0].trim())
    .filter((l): l is string => !!l && !seen.has(l))
    .map(scrub);
  const fromStdout = phases.length ? `\n${phases.join('\n')}\n` : '';
  const failed = view?.statuses?.some((st) => /failed/i.test(st.code ?? '') || st.level === 'Error');
  if (!failed) return fromStdout;
  const stderr = view?.substatuses?.find((st) => /StdErr/i.test(st.code ?? ''))?.message ?? '';
  const status = view?.statuses?.find((st) => st.level === 'Error')?.message ?? '';
  if (cutByPlannedRestart(status, serial, stdout)) {
    // Progress: the resume task carries the bootstrap on after the restart, and a later failure
    // shows on COM1. The extension's status stays as it is for good (it never runs again).
    return `${fromStdout}\nwin-k8s: extension ended by the planned restart (the startup task resumes the bootstrap)\n`;
  }
  // The join's report keeps only `win-k8s:` lines (the last 10): every line carries the prefix,
  // and a handful of the extension's last lines leaves room for the serial log's own.
  const lines = [status, stderr].join('\n').split('\n').map((l) => l.trim()).filter(Boolean).slice(-5);
  return `${fromStdout}\n${[`${EXTENSION_NAME}:`, ...lines].map((l) => `win-k8s: extension failed ${scrub(l)}`).join('\n')}\n`;
}

/**
 * Whether a failed extension status is only the bootstrap's own planned restart. The bootstrap
 * schedules the restart (shutdown /r /t 15) and exits 0, so the extension normally reports
 * success; when Windows goes down before the extension has seen the exit, it reports a failure
 * whose message says the command "may have been interrupted by a VM restart". That, after the
 * restart line (`win-k8s: reboot ...` on COM1, Write-Log's `rebooting: ...` on stdout), is the
 * planned restart. Any other failure, or that message with no planned restart before it (an
 * update or an operator restarted the VM mid-bootstrap), is a failure.
 */
export function cutByPlannedRestart(statusMessage: string, serial: string, stdout: string): boolean {
  if (!/interrupted by a VM restart/i.test(statusMessage)) return false;
  return /win-k8s: reboot /.test(serial) || /^\S+ rebooting: /m.test(stdout);
}

/** The serial log blob is a SAS URL on Azure Storage: no ARM token, same transport as the SDK. */
async function fetchBlob(url: string, httpClient: HttpClient | undefined): Promise<string> {
  const { createDefaultHttpClient, createPipelineRequest } = await import('@azure/core-rest-pipeline');
  const client = httpClient ?? createDefaultHttpClient();
  const res = await client.sendRequest(createPipelineRequest({ url, method: 'GET' }));
  if (res.status !== 200) throw new OperationError(`reading the serial console log failed (HTTP ${res.status})`, { hint: 'boot diagnostics may still be starting; try again in a minute' });
  return res.bodyAsText ?? '';
}
