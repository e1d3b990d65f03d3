import type { RunPowerShellOptions, RunPowerShellResult } from '../provider.js';
import { InterruptedError, OperationError } from '../../errors.js';
import { azureErrorCode } from './errors.js';
import { vmRef, type AzureContext } from './session.js';

/**
 * Azure Run Command (the action API, commandId RunPowerShellScript) as the cloud agent path for
 * `runPowerShell`. Its documented limits shape this module:
 * - each output stream comes back as its last 4096 bytes only: the exit code is therefore written
 *   as the very last stdout line, where truncation cannot reach it, and a result whose stream is
 *   that long says in stderr that its beginning was probably cut off;
 * - a script runs for at most 90 minutes, then Azure stops it;
 * - one Run Command at a time per VM, and a running one cannot be cancelled;
 * - the script travels inline in the request (and stays in the VM's extension status): win-k8s
 *   caps it, base64 and wrapper included, at RUN_COMMAND_SCRIPT_LIMIT.
 * The action API reports no exit code, which is why the wrapper below exists.
 */
export const RUN_COMMAND_OUTPUT_LIMIT = 4096;
export const RUN_COMMAND_MAX_MS = 90 * 60_000;
/** A conservative cap for the inline request, not a number Azure publishes for the action API. */
export const RUN_COMMAND_SCRIPT_LIMIT = 256 * 1024;
export const EXIT_MARKER = 'win-k8s-exit-code:';

/**
 * The script goes to a .ps1 file (UTF-8 with BOM, so Windows PowerShell 5.1 does not read it as
 * ANSI) and runs with `&`: `exit N` in a script file returns to the caller with $LASTEXITCODE = N,
 * whereas in a script block it would end the wrapper before it reports the code.
 */
export function runCommandScript(script: string): string[] {
  const bom = Buffer.from([0xef, 0xbb, 0xbf]);
  const encoded = Buffer.concat([bom, Buffer.from(script, 'utf8')]).toString('base64');
  return [
    "$ErrorActionPreference = 'Continue'",
    "$winK8sScript = Join-Path $env:TEMP ('win-k8s-run-' + [guid]::NewGuid().ToString('N') + '.ps1')",
    `[IO.File]::WriteAllBytes($winK8sScript, [Convert]::FromBase64String('${encoded}'))`,
    '$global:LASTEXITCODE = 0',
    '$winK8sExit = 0',
    'try {',
    '  & $winK8sScript',
    '  $winK8sOk = $?',
    '  if ($LASTEXITCODE) { $winK8sExit = $LASTEXITCODE } elseif (-not $winK8sOk) { $winK8sExit = 1 }',
    '} catch {',
    '  [Console]::Error.WriteLine($_.ToString())',
    '  $winK8sExit = 1',
    '} finally {',
    '  Remove-Item -LiteralPath $winK8sScript -Force -ErrorAction SilentlyContinue',
    '}',
    `Write-Output "${EXIT_MARKER} $winK8sExit"`,
  ];
}

export function checkScriptSize(lines: string[]): void {
  const bytes = Buffer.byteLength(lines.join('\n'), 'utf8');
  if (bytes > RUN_COMMAND_SCRIPT_LIMIT) {
    throw new OperationError(`the script is ${(bytes / 1024).toFixed(0)} KB once wrapped for Azure Run Command; win-k8s sends at most ${RUN_COMMAND_SCRIPT_LIMIT / 1024} KB inline`, {
      hint: 'run a smaller script, or copy it to the VM another way',
    });
  }
}

interface InstanceViewStatusLike {
  code?: string | undefined;
  message?: string | undefined;
}

/** RunCommandResult.value → exit code and streams, saying where Azure's limits hid something. */
export function parseRunCommandOutput(value: InstanceViewStatusLike[] | undefined): RunPowerShellResult {
  const stream = (name: string) => value?.find((v) => new RegExp(`^ComponentStatus/${name}/`, 'i').test(v.code ?? ''))?.message ?? '';
  const rawOut = stream('StdOut');
  const rawErr = stream('StdErr');
  const lines = rawOut.replace(/\r\n/g, '\n').replace(/\n+$/, '').split('\n');
  const last = lines[lines.length - 1] ?? '';
  const m = new RegExp(`^${EXIT_MARKER} (-?\\d+)\\s*$`).exec(last);
  const notes: string[] = [];
  if (Buffer.byteLength(rawOut, 'utf8') >= RUN_COMMAND_OUTPUT_LIMIT - 64) notes.push(`win-k8s: Azure Run Command returns only the last ${RUN_COMMAND_OUTPUT_LIMIT} bytes of stdout; its beginning was probably cut off`);
  if (Buffer.byteLength(rawErr, 'utf8') >= RUN_COMMAND_OUTPUT_LIMIT - 64) notes.push(`win-k8s: Azure Run Command returns only the last ${RUN_COMMAND_OUTPUT_LIMIT} bytes of stderr; its beginning was probably cut off`);
  if (!m) notes.push('win-k8s: the script reported no exit code (stopped by Azure\'s 90-minute limit, or the VM agent lost its output)');
  const stdout = m ? lines.slice(0, -1).join('\n') + (lines.length > 1 ? '\n' : '') : rawOut;
  const stderr = [rawErr.replace(/\s+$/, ''), ...notes].filter(Boolean).join('\n');
  return { exitCode: m ? Number(m[1]) : -1, stdout, stderr: stderr ? `${stderr}\n` : '' };
}

/**
 * Runs a script through Azure Run Command (RunPowerShellScript). Limits, see the top of this file:
 * output is the last 4 KB per stream (said in stderr when likely), 90 minutes at most, one at a
 * time per VM, and a started command cannot be cancelled: a timeout or interrupt stops the
 * waiting here, not the script on the VM.
 */
export async function runPowerShell(ctx: AzureContext, instanceId: string, script: string, opts: RunPowerShellOptions): Promise<RunPowerShellResult> {
  const { rg, name } = vmRef(ctx, instanceId);
  const lines = runCommandScript(script);
  checkScriptSize(lines);
  if (opts.signal?.aborted) throw new InterruptedError('interrupted before Azure Run Command started');
  const waitMs = Math.min(opts.timeoutMs, RUN_COMMAND_MAX_MS + 5 * 60_000);
  const timeout = AbortSignal.timeout(waitMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  try {
    const result = await ctx.s.compute.virtualMachines.beginRunCommandAndWait(rg, name, { commandId: 'RunPowerShellScript', script: lines }, ctx.lro(signal));
    return parseRunCommandOutput(result.value);
  } catch (err) {
    if (opts.signal?.aborted) throw new InterruptedError(`interrupted while Azure Run Command ran on ${name}; the script may still be running there`);
    if (timeout.aborted) {
      throw new OperationError(`Azure Run Command on ${name} did not finish within ${Math.round(waitMs / 1000)}s`, {
        hint: 'Run Command cannot be cancelled: the script may still be running on the VM (Azure stops it after 90 minutes), and a new one is refused until it ends',
      });
    }
    if (azureErrorCode(err) === 'Conflict') {
      throw new OperationError(`another Run Command is still running on ${name}`, { cause: err, hint: 'Azure runs one at a time per VM; try again when it has finished' });
    }
    throw err;
  }
}
