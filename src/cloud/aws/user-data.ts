import { compressScript } from '../../bootstrap/compress.js';
import { OperationError } from '../../errors.js';

/** EC2 limits user data to 16 KB before base64 encoding. */
export const USER_DATA_LIMIT = 16 * 1024;

export interface UserData {
  /** What RunInstances takes: base64 of the raw user data. */
  base64: string;
  /** Size of the raw user data, the figure the limit applies to. */
  bytes: number;
  compressed: boolean;
}

/** EC2Launch (v1 and v2) runs the text between <powershell> tags as a script at first boot. */
export function wrapPowerShell(script: string): string {
  return `<powershell>\n${script}\n</powershell>`;
}

/**
 * The script as user data, as is when it fits and as the gzip stub otherwise (the full
 * bootstrap is larger than 16 KB). Throws when even the stub does not fit: nothing may be
 * created with a bootstrap that would be cut off.
 */
export function buildUserData(nodeName: string, script: string): UserData {
  let raw = wrapPowerShell(script);
  let compressed = false;
  if (Buffer.byteLength(raw, 'utf8') > USER_DATA_LIMIT) {
    raw = wrapPowerShell(compressScript(script));
    compressed = true;
  }
  const bytes = Buffer.byteLength(raw, 'utf8');
  if (bytes > USER_DATA_LIMIT) {
    throw new OperationError(
      `the bootstrap for ${nodeName} is ${(bytes / 1024).toFixed(1)} KB even compressed; EC2 user data holds at most 16 KB`,
      { hint: 'fewer node labels, taints or proxy exceptions make it smaller; if it still does not fit, please report it as a win-k8s bug' },
    );
  }
  return { base64: Buffer.from(raw, 'utf8').toString('base64'), bytes, compressed };
}
