import { gzipSync } from 'node:zlib';
import { readTemplate, substitute } from './templates.js';

/**
 * A small stub that carries the full script as base64 gzip, writes it to disk and runs it with
 * -File (so the script knows its own path and can resume itself after a reboot). AWS user data
 * holds 16 KB; the full script does not fit, the stub does.
 */
export function compressScript(script: string): string {
  const payload = gzipSync(Buffer.from(script, 'utf8'), { level: 9 }).toString('base64');
  const lines = payload.match(/.{1,200}/g) ?? [];
  return substitute(readTemplate('bootstrap/stub.ps1'), { PAYLOAD: lines.join('\n') });
}
