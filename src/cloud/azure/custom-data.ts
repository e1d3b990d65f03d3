import { compressScript } from '../../bootstrap/compress.js';
import { OperationError } from '../../errors.js';

/** Azure places customData here on Windows, decoded, and never runs it. */
export const CUSTOM_DATA_PATH = 'C:\\AzureData\\CustomData.bin';
/** osProfile.customData: at most 64 KB decoded (87380 base64 characters). */
export const CUSTOM_DATA_LIMIT = 65535;
/** What stands in customData where the rendered script had its token (stub-azure.ps1 fills it). */
export const TOKEN_SLOT_VALUE = '__WIN_K8S_TOKEN_FROM_EXTENSION__';

/** The rendered header's one token assignment: `$BootstrapToken = '<token>'` ('' for provision). */
const TOKEN_LINE = /^\$BootstrapToken = (.*)$/m;
const KUBEADM_TOKEN = /^'([a-z0-9]{6}\.[a-z0-9]{16})?'$/;

/**
 * The script without its token, and the token. customData is kept with the VM and copied to
 * C:\AzureData\CustomData.bin (the ARM spec says not to put secrets in it), so the token travels
 * in the Custom Script Extension's protectedSettings instead, encrypted to the VM.
 */
export function splitToken(script: string): { script: string; token: string } {
  const m = TOKEN_LINE.exec(script);
  if (!m) return { script, token: '' };
  const token = KUBEADM_TOKEN.exec(m[1]!.trim());
  if (!token) throw new OperationError('the bootstrap script\'s token is not a kubeadm bootstrap token', { hint: 'please report it as a win-k8s bug' });
  if (!token[1]) return { script, token: '' };
  return { script: script.replace(TOKEN_LINE, `$BootstrapToken = '${TOKEN_SLOT_VALUE}'`), token: token[1] };
}

/**
 * What Azure gets for one VM: customData (the Azure stub of the script without its token) and
 * the Custom Script Extension's command, which goes in protectedSettings and hands the token to
 * the stub. Azure runs nothing from customData on Windows, hence the extension. Chosen over Run
 * Command because Run Command holds the whole script inline in the request (and in the VM's
 * run-command history) and is limited to one run at a time and 90 minutes; the command here is a
 * few hundred characters, far under the extension's inline limit, and needs no storage account.
 *
 * The stub (templates/bootstrap/stub-azure.ps1) is run from CustomData.bin without a copy of its
 * own, writes the script with the token into the protected copy the bootstrap resumes from after
 * its restart, and deletes CustomData.bin. The extension may run its command again after a
 * restart that cut it off (its documentation says so): CustomData.bin is gone by then and the
 * protected copy carries on, so the command then ends at once with 0.
 */
export function azureBootstrap(nodeName: string, script: string): { customData: string; commandToExecute: string; carriesToken: boolean } {
  const { script: tokenless, token } = splitToken(script);
  const stub = compressScript(tokenless, { template: 'bootstrap/stub-azure.ps1', values: { TOKEN_SLOT: TOKEN_SLOT_VALUE } });
  const bytes = Buffer.byteLength(stub, 'utf8');
  if (bytes > CUSTOM_DATA_LIMIT) {
    throw new OperationError(`the bootstrap for ${nodeName} is ${(bytes / 1024).toFixed(1)} KB compressed; Azure customData holds at most 64 KB`, {
      hint: 'fewer node labels, taints or proxy exceptions make it smaller; if it still does not fit, please report it as a win-k8s bug',
    });
  }
  const run = `$f = '${CUSTOM_DATA_PATH}'; if (-not (Test-Path -LiteralPath $f)) { 'customData already used: the bootstrap goes on from its protected copy'; exit 0 }; & ([scriptblock]::Create([IO.File]::ReadAllText($f))) -Token '${token}'; exit $LASTEXITCODE`;
  return { customData: Buffer.from(stub, 'utf8').toString('base64'), commandToExecute: `powershell.exe -NoProfile -ExecutionPolicy Bypass -Command "${run}"`, carriesToken: token !== '' };
}
