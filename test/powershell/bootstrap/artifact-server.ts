import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RELEASES, type ReleaseFile } from './upstream-releases.js';

/**
 * The download hosts of the upstream projects, on loopback. It serves only what the release
 * definitions in upstream-releases.ts say exists, under the upstream's own URL path and asset
 * name, with checksum files in that upstream's own format; everything else is a 404, so a
 * script that asks for a wrong name fails as it would on the real host. Requests arrive as
 * /<host>/<path> (the simulator rewrites https://<host>/<path>, see windows-sim.ps1).
 */
export interface ServedFile {
  body: Buffer;
  contentType: string;
}

export interface RequestRecord {
  url: string;
  status: number;
}

export class ArtifactServer {
  private server: Server | undefined;
  private files = new Map<string, ServedFile>();
  /** url -> how many more requests fail with 503 (a flaky mirror). */
  readonly failures = new Map<string, number>();
  /** url -> how many more requests get corrupted content. */
  readonly corruptions = new Map<string, number>();
  readonly requests: RequestRecord[] = [];
  url = '';

  /** Publishes one release: its assets and the checksum files its project publishes. */
  publish(release: ReleaseFile[]): void {
    for (const f of release) this.files.set(f.url, { body: f.body, contentType: f.contentType ?? 'application/octet-stream' });
  }

  /** Publishes every release the catalogue knows for the versions asked. */
  publishFor(versions: { kubernetes: string; containerd?: string; crictl: string; docker?: string }): void {
    for (const release of RELEASES(versions)) this.publish(release);
  }

  /** Takes a file down: the host then answers 404 for it. */
  withdraw(url: string): void {
    this.files.delete(url);
  }

  has(url: string): boolean {
    return this.files.has(url);
  }

  sha256Of(url: string): string {
    const f = this.files.get(url);
    if (!f) throw new Error(`not published: ${url}`);
    return createHash('sha256').update(f.body).digest('hex');
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const path = req.url ?? '/';
      const m = /^\/([^/]+)(\/.*)$/.exec(path);
      const url = m ? `https://${m[1]}${m[2]}` : path;
      const file = this.files.get(url);
      let status = 200;
      const failing = this.failures.get(url) ?? 0;
      if (failing > 0) {
        this.failures.set(url, failing - 1);
        status = 503;
      } else if (!file) {
        status = 404;
      }
      this.requests.push({ url, status });
      if (status !== 200 || !file) {
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 404 ? 'Not Found' : 'Service Unavailable');
        return;
      }
      let body = file.body;
      const corrupt = this.corruptions.get(url) ?? 0;
      if (corrupt > 0) {
        this.corruptions.set(url, corrupt - 1);
        body = Buffer.concat([body, Buffer.from('tampered')]);
      }
      res.writeHead(200, { 'content-type': file.contentType, 'content-length': body.length }).end(body);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
