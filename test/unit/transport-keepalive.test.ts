import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import * as lib from '@kubernetes/client-node';
import { boundedKubeConfig, MAX_SOCKETS } from '../../src/cluster/transport.js';
import { getKubePki } from '../helpers/kube-pki.js';

/**
 * The API clients keep their connections to the API server alive: diagnose asks a hundred
 * kubelets through the node proxy, and a TCP and TLS handshake per call made it scale badly.
 */
describe('cluster transport keep-alive', () => {
  const pki = getKubePki();
  let server: Server;
  let url = '';
  let tlsConnections = 0;
  let open = 0;
  let peak = 0;
  const sockets = new Set<Socket>();

  before(async () => {
    server = createServer({ cert: pki.server.certPem, key: pki.server.keyPem }, (req, res) => {
      open++;
      peak = Math.max(peak, open);
      // A little latency so parallel requests overlap and would each need a socket.
      setTimeout(() => {
        open--;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ kind: 'NamespaceList', apiVersion: 'v1', metadata: {}, items: [] }));
      }, 20);
    });
    server.on('secureConnection', (s: Socket) => {
      tlsConnections++;
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('no address');
    url = `https://127.0.0.1:${address.port}`;
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    tlsConnections = 0;
    peak = 0;
  });

  function core(): lib.CoreV1Api {
    const kc = boundedKubeConfig(lib, { requestTimeoutMs: 10_000 });
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: url, caData: Buffer.from(pki.ca.certPem).toString('base64'), skipTLSVerify: false }],
      users: [{ name: 'u', token: 'fake-token-for-tests' }],
      contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
      currentContext: 'ctx',
    });
    return kc.makeApiClient(lib.CoreV1Api);
  }

  it('sends sequential requests over one TLS connection', async () => {
    const api = core();
    for (let i = 0; i < 10; i++) await api.listNamespace();
    assert.equal(tlsConnections, 1);
  });

  it('opens at most MAX_SOCKETS connections for many parallel requests, and reuses them', async () => {
    const api = core();
    await Promise.all(Array.from({ length: MAX_SOCKETS * 3 }, () => api.listNamespace()));
    assert.ok(peak > 1, `requests ran in parallel (peak ${peak})`);
    assert.ok(tlsConnections <= MAX_SOCKETS, `${tlsConnections} TLS connections for ${MAX_SOCKETS * 3} requests`);
    const before = tlsConnections;
    await Promise.all(Array.from({ length: 5 }, () => api.listNamespace()));
    assert.equal(tlsConnections, before, 'a second burst reuses the open connections');
  });
});
