import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

interface LockEntry {
  name?: string;
  version?: string;
  integrity?: string;
  dev?: boolean;
  link?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, unknown>;
  bin?: Record<string, string> | string;
  engines?: Record<string, string>;
  os?: string[];
  cpu?: string[];
}

export interface LockRegistry {
  url: string;
  /** Names and tarballs npm asked for that this registry does not hold. */
  misses: string[];
  /** Packuments and tarballs served. */
  served: { packuments: number; tarballs: number };
  stop(): Promise<void>;
}

/**
 * A loopback npm registry holding exactly the packages of a package-lock.json that an install
 * of the package needs (its non-dev entries), so `npm install -g <tarball>` runs for real —
 * resolving ranges against packuments, fetching, checking integrity, linking the bin — without
 * the network. npm ci leaves each tarball in npm's content-addressed cache under
 * content-v2/<algorithm>/<hex digest>; they are served from there. A package the lock does not
 * hold is a 404, recorded in `misses`, as the public registry would answer an unknown name.
 */
export async function startLockRegistry(o: { lockfile: string; npmCache: string }): Promise<LockRegistry> {
  const lock = JSON.parse(readFileSync(o.lockfile, 'utf8')) as { packages: Record<string, LockEntry> };
  const versions = new Map<string, Map<string, LockEntry>>();
  const tarballs = new Map<string, string>();
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (!key || entry.dev || entry.link || !entry.version || !entry.integrity) continue;
    const name = entry.name ?? key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
    if (!versions.has(name)) versions.set(name, new Map());
    versions.get(name)!.set(entry.version, entry);
  }
  const misses: string[] = [];
  const served = { packuments: 0, tarballs: 0 };
  let base = '';

  const contentPath = (integrity: string): string => {
    const [algorithm, digest] = integrity.split(' ')[0]!.split('-', 2) as [string, string];
    const hex = Buffer.from(digest, 'base64').toString('hex');
    return join(o.npmCache, '_cacache', 'content-v2', algorithm, hex.slice(0, 2), hex.slice(2, 4), hex.slice(4));
  };

  const packument = (name: string) => {
    const all = versions.get(name)!;
    const doc: Record<string, unknown> = {};
    for (const [version, e] of all) {
      const file = `${name.split('/').pop()}-${version}.tgz`;
      const tarball = `${base}/${name}/-/${file}`;
      tarballs.set(`/${name}/-/${file}`, e.integrity!);
      doc[version] = {
        name,
        version,
        ...(e.dependencies ? { dependencies: e.dependencies } : {}),
        ...(e.optionalDependencies ? { optionalDependencies: e.optionalDependencies } : {}),
        ...(e.peerDependencies ? { peerDependencies: e.peerDependencies } : {}),
        ...(e.peerDependenciesMeta ? { peerDependenciesMeta: e.peerDependenciesMeta } : {}),
        ...(e.bin ? { bin: e.bin } : {}),
        ...(e.engines ? { engines: e.engines } : {}),
        ...(e.os ? { os: e.os } : {}),
        ...(e.cpu ? { cpu: e.cpu } : {}),
        dist: { tarball, integrity: e.integrity },
      };
    }
    const newest = [...all.keys()].sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).pop()!;
    return { name, 'dist-tags': { latest: newest }, versions: doc };
  };

  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    const integrity = tarballs.get(path);
    if (integrity !== undefined) {
      const file = contentPath(integrity);
      if (!existsSync(file)) {
        misses.push(`${path} (not in the npm cache: run npm ci)`);
        res.writeHead(404).end();
        return;
      }
      served.tarballs++;
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      createReadStream(file).pipe(res);
      return;
    }
    const name = path.slice(1);
    if (versions.has(name)) {
      served.packuments++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(packument(name)));
      return;
    }
    misses.push(path);
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not found"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    misses,
    served,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
