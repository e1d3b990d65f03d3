import assert from 'node:assert/strict';
import { createServer } from 'node:https';
import type { Socket } from 'node:net';
import * as lib from '@kubernetes/client-node';
import { boundedKubeConfig, MAX_SOCKETS } from '../../src/cluster/transport.js';
import { getKubePki } from '../helpers/kube-pki.js';

/** An HTTPS API server on 127.0.0.1 with the test CA's certificate; its sockets are tracked to close them. */
async function startApiServer(pki: ReturnType<typeof getKubePki>, handler: Parameters<typeof createServer>[1], onConnection: (s: Socket) => void = () => undefined) {
  const server = createServer({ cert: pki.server.certPem, key: pki.server.keyPem }, handler);
  const sockets = new Set<Socket>();
  server.on('secureConnection', (s: Socket) => {
    onConnection(s);
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  return {
    url: `https://127.0.0.1:${address.port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The API client as win-k8s builds it (boundedKubeConfig), for a server. */
function coreApi(pki: ReturnType<typeof getKubePki>, url: string): lib.CoreV1Api {
  const kc = boundedKubeConfig(lib, { requestTimeoutMs: 10_000 });
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: url, caData: Buffer.from(pki.ca.certPem).toString('base64'), skipTLSVerify: false }],
    users: [{ name: 'u', token: 'fake-token-for-tests' }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
  return kc.makeApiClient(lib.CoreV1Api);
}

/**
 * The API clients keep their connections to the API server alive: diagnose asks a hundred
 * kubelets through the node proxy, and a TCP and TLS handshake per call made it scale badly.
 */
describe('cluster transport keep-alive', () => {
  const pki = getKubePki();
  let api: Awaited<ReturnType<typeof startApiServer>>;
  let tlsConnections = 0;
  let open = 0;
  let peak = 0;

  before(async () => {
    api = await startApiServer(
      pki,
      (req, res) => {
        open++;
        peak = Math.max(peak, open);
        // A little latency so parallel requests overlap and would each need a socket.
        setTimeout(() => {
          open--;
          if (req.url?.includes('/log')) {
            // A pod log as the API server streams it: chunked, no Content-Length.
            res.setHeader('content-type', 'text/plain');
            res.write('line 1\n');
            res.end(`line 2 of ${req.url}\n`);
            return;
          }
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ kind: 'NamespaceList', apiVersion: 'v1', metadata: {}, items: [] }));
        }, req.url?.includes('/log') ? Math.random() * 5 : 20);
      },
      () => tlsConnections++,
    );
  });
  after(async () => api.close());
  beforeEach(() => {
    tlsConnections = 0;
    peak = 0;
  });

  const core = () => coreApi(pki, api.url);

  it('sends sequential requests over the same TLS connections', async () => {
    const api = core();
    for (let i = 0; i < 10; i++) await api.listNamespace();
    // A socket is handed back a moment after its response closed (see the chunked case below),
    // so a request made at once after the last one may open a second connection; never more.
    assert.ok(tlsConnections <= 2, `${tlsConnections} TLS connections for 10 requests`);
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

  // node-fetch 2 (under client-node) calls a chunked body "Premature close" when its socket
  // already carries the next request as the response closes (node-fetch issue 1767): with
  // more requests than sockets, every socket is handed on at once.
  it('reads chunked responses (pod logs) whole while their sockets are reused', async () => {
    const api = core();
    const logs = await Promise.all(Array.from({ length: MAX_SOCKETS * 4 }, (_, i) => api.readNamespacedPodLog({ namespace: 'ns', name: `pod-${i}` })));
    logs.forEach((log, i) => assert.equal(log, `line 1\nline 2 of /api/v1/namespaces/ns/pods/pod-${i}/log\n`));
    assert.ok(tlsConnections <= MAX_SOCKETS);
  });
});

/**
 * An API server (or a load balancer in front of it) closes an idle kept-alive connection on its
 * own clock: a request sent on it at that moment meets a reset. client-go sends such a read
 * again on a new connection; a write is never sent twice.
 */
describe('a kept-alive connection the server drops as it is reused', () => {
  const pki = getKubePki();
  let api: Awaited<ReturnType<typeof startApiServer>>;
  const served = new WeakMap<Socket, number>();
  const methods: string[] = [];

  before(async () => {
    api = await startApiServer(pki, (req, res) => {
      methods.push(req.method ?? '?');
      const socket = req.socket;
      const n = served.get(socket) ?? 0;
      if (n >= 1) {
        // The connection was idle and is going away: the request on it gets no answer.
        socket.destroy();
        return;
      }
      served.set(socket, n + 1);
      res.setHeader('content-type', 'application/json');
      if (req.method === 'POST') {
        res.statusCode = 201;
        res.end(JSON.stringify({ kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'x' } }));
        return;
      }
      res.end(JSON.stringify({ kind: 'NamespaceList', apiVersion: 'v1', metadata: {}, items: [] }));
    });
  });
  after(async () => api.close());
  beforeEach(() => {
    methods.length = 0;
  });

  const core = () => coreApi(pki, api.url);

  const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

  it('sends a read again on a new connection', async () => {
    const api = core();
    for (let i = 0; i < 5; i++) {
      await api.listNamespace();
      // The socket goes back to the pool a moment after the response: the next read reuses it.
      await settle();
    }
    assert.ok(methods.length > 5, `the dropped reads were sent again (${methods.length} requests for 5 reads)`);
  });

  it('never sends a create twice: the reset is the error', async () => {
    const api = core();
    await api.listNamespace();
    await settle();
    await assert.rejects(api.createNamespace({ body: { metadata: { name: 'x' } } }), /socket hang up|ECONNRESET/);
    assert.deepEqual(methods, ['GET', 'POST']);
  });
});
