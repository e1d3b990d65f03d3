import { compressScript } from '../../bootstrap/compress.js';
import { OperationError } from '../../errors.js';

/**
 * windows-startup-script-ps1 rather than sysprep-specialize-script-ps1: the bootstrap may
 * install the Containers feature and reboot, and a startup script runs again after that
 * reboot with the network up, while a specialize script runs once, before networking is
 * settled, and a failure there can leave the VM stuck in sysprep. The bootstrap is idempotent,
 * so running at every boot is safe.
 */
export const SCRIPT_KEY = 'windows-startup-script-ps1';

/** Compute Engine's limit on one metadata value. */
export const METADATA_VALUE_LIMIT = 256 * 1024;

export interface ScriptMetadata {
  value: string;
  bytes: number;
  compressed: boolean;
}

/** The script as is when it fits, as the gzip stub otherwise; throws when even that does not fit. */
export function scriptMetadata(nodeName: string, script: string): ScriptMetadata {
  let value = script;
  let compressed = false;
  if (Buffer.byteLength(value, 'utf8') > METADATA_VALUE_LIMIT) {
    value = compressScript(script);
    compressed = true;
  }
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > METADATA_VALUE_LIMIT) {
    throw new OperationError(`the bootstrap for ${nodeName} is ${(bytes / 1024).toFixed(1)} KB even compressed; a Compute Engine metadata value holds at most 256 KB`, {
      hint: 'fewer node labels, taints or proxy exceptions make it smaller; if it still does not fit, please report it as a win-k8s bug',
    });
  }
  return { value, bytes, compressed };
}
