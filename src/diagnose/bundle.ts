import { gunzipSync, gzipSync } from 'node:zlib';
import { decodeText, redact } from './redact.js';

/**
 * The --bundle archive: a gzip'd POSIX tar (ustar) written without a dependency, holding what a
 * maintainer asks for first — the diagnose results, each node's report and logs, and the node,
 * pod and event objects — with secrets redacted from every text that goes in.
 */
export interface BundleEntry {
  name: string;
  data: Buffer | string;
}

export { redact } from './redact.js';

/** A file's tail (`truncated`: the bytes kept of the file's size when only its tail was sent), or why it is missing. */
export type CollectedFile = { name: string; data: Buffer; truncated?: { kept: number; size: number } } | { name: string; error: string };

/** Reads what templates/diagnose/collect-logs.ps1 printed. */
export function parseCollectedFiles(log: string): CollectedFile[] {
  const out: CollectedFile[] = [];
  let current: { name: string; chunks: string[] } | undefined;
  const truncated = new Map<string, { kept: number; size: number }>();
  for (const raw of log.split(/\r?\n/)) {
    const line = raw.trim();
    const begin = /^WIN-K8S-FILE-BEGIN (.+)$/.exec(line);
    const end = /^WIN-K8S-FILE-END (.+)$/.exec(line);
    const error = /^WIN-K8S-FILE-ERROR (\S+) (.*)$/.exec(line);
    const cut = /^WIN-K8S-FILE-TRUNCATED (\S+) (\d+) (\d+)$/.exec(line);
    if (cut) truncated.set(cut[1]!, { kept: Number(cut[2]), size: Number(cut[3]) });
    else if (begin) current = { name: begin[1]!, chunks: [] };
    else if (end && current && end[1] === current.name) {
      try {
        const cutOf = truncated.get(current.name);
        out.push({ name: current.name, data: gunzipSync(Buffer.from(current.chunks.join(''), 'base64')), ...(cutOf ? { truncated: cutOf } : {}) });
      } catch (err) {
        out.push({ name: current.name, error: `unreadable: ${err instanceof Error ? err.message : String(err)}` });
      }
      current = undefined;
    } else if (error) out.push({ name: error[1]!, error: error[2]! });
    else if (current && line) current.chunks.push(line);
  }
  if (current) out.push({ name: current.name, error: 'truncated: the log ended inside the file' });
  return out;
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name: string, size: number, mtime: number): Buffer {
  const h = Buffer.alloc(512, 0);
  let prefix = '';
  let base = name;
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', 155);
    if (cut <= 0 || Buffer.byteLength(name.slice(cut + 1)) > 100) throw new Error(`bundle entry name too long: ${name}`);
    prefix = name.slice(0, cut);
    base = name.slice(cut + 1);
  }
  h.write(base, 0, 100, 'utf8');
  h.write(octal(0o644, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(mtime, 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write('0', 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write('win-k8s', 265, 'ascii');
  h.write('win-k8s', 297, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148, 'ascii');
  return h;
}

/** A .tar.gz of the entries, every text entry redacted. */
export function buildBundle(entries: BundleEntry[], now = new Date()): Buffer {
  const mtime = Math.floor(now.getTime() / 1000);
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = Buffer.from(redact(typeof e.data === 'string' ? e.data : decodeText(e.data)), 'utf8');
    parts.push(header(e.name, data.length, mtime), data, Buffer.alloc((512 - (data.length % 512)) % 512, 0));
  }
  parts.push(Buffer.alloc(1024, 0));
  return gzipSync(Buffer.concat(parts));
}

/** A path segment safe in a tar name (node and file names come from the cluster). */
export function safeSegment(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80) || '_';
}
