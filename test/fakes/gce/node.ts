import { gunzipSync } from 'node:zlib';
import type { GceFake } from './server.js';
import { b85decode } from '../node-agent/script.js';

/** The metadata key win-k8s puts the bootstrap under (see src/cloud/gcp/metadata.ts). */
export const STARTUP_SCRIPT_KEY = 'windows-startup-script-ps1';

/**
 * What a simulated Windows node does at boot: read its startup script from the instance's
 * metadata and, when it is the compressed stub, unpack the full bootstrap the way the stub does.
 */
export function readBootstrapScript(fake: GceFake, zone: string, instance: string): { script: string; compressed: boolean } | undefined {
  const value = fake.metadataValue(zone, instance, STARTUP_SCRIPT_KEY);
  if (value === undefined) return undefined;
  const stub = /\$payload = @'\n([\s\S]*?)\n'@/.exec(value);
  if (!value.startsWith('# win-k8s bootstrap stub') || !stub) return { script: value, compressed: false };
  return { script: gunzipSync(b85decode(stub[1]!.replace(/\s/g, ''))).toString('utf8'), compressed: true };
}

/** A node's bootstrap writing its progress to serial port 1, as the real one does. */
export function writeSerial(fake: GceFake, zone: string, instance: string, text: string): void {
  const key = `${zone}/${instance}`;
  fake.serialPort.set(key, `${fake.serialPort.get(key) ?? ''}${text}`);
}
