import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { connect } from '../../src/cluster/client.js';
import type { Cluster } from '../../src/cluster/client.js';
import { resolveKubeconfig } from '../../src/cluster/kubeconfig.js';
import { POOL_LABEL } from '../../src/cluster/nodes.js';
import {
  BOOTSTRAP_TOKEN_GROUP,
  createBootstrapToken,
  deleteBootstrapToken,
  leaseBootstrapToken,
  listPoolTokens,
  withBootstrapToken,
} from '../../src/cluster/tokens.js';
import type { TokenLease } from '../../src/cluster/tokens.js';
import { EnvironmentError, OperationError } from '../../src/errors.js';
import type { OutputEvent } from '../../src/output/output.js';
import { ADMIN_TOKEN, FakeKubeApiServer, healthyKubeadmFlannel, writeKubeconfigFor } from '../fakes/kube-apiserver/index.js';
import type { KubeObject } from '../fakes/kube-apiserver/index.js';
import { kubeHttpClient } from '../helpers/kube-http.js';
import type { KubeHttpClient } from '../helpers/kube-http.js';

const decode = (v: string | undefined): string => Buffer.from(v ?? '', 'base64').toString('utf8');

describe('bootstrap tokens (against the fake kube-apiserver)', function () {
  let fake: FakeKubeApiServer;
  let cluster: Cluster;
  let http: KubeHttpClient;

  before(async function () {
    fake = new FakeKubeApiServer(healthyKubeadmFlannel());
    await fake.start();
    const kubeconfig = writeKubeconfigFor(fake, { token: ADMIN_TOKEN });
    cluster = await connect(resolveKubeconfig({ flag: kubeconfig, env: {}, cwd: process.cwd() }));
    http = kubeHttpClient(fake.url, fake.caPem);
  });

  after(async function () {
    await fake?.stop();
  });

  afterEach(function () {
    fake.clearFaults();
  });

  const tokenSecret = (id: string): KubeObject | undefined => fake.store.get('secrets', 'kube-system', `bootstrap-token-${id}`);
  const requestsFor = (id: string, method: string) => fake.requests.filter((r) => r.method === method && r.resource === 'secrets' && r.name === `bootstrap-token-${id}`);
  const whoAmI = (token: string) =>
    http.request('/apis/authentication.k8s.io/v1/selfsubjectreviews', { token, method: 'POST', body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });

  it('creates the Secret exactly as kubeadm does, labelled for the pool', async function () {
    const now = new Date('2030-01-02T03:04:05.678Z');
    const t = await createBootstrapToken(cluster, { pool: 'payments', now: () => now });
    assert.match(t.id, /^[a-z0-9]{6}$/);
    assert.match(t.secret, /^[a-z0-9]{16}$/);
    assert.equal(t.token, `${t.id}.${t.secret}`);
    assert.equal(t.secretName, `bootstrap-token-${t.id}`);
    assert.equal(t.expiresAt.toISOString(), '2030-01-02T03:34:05.000Z');

    const s = tokenSecret(t.id);
    assert.ok(s, 'the Secret exists');
    assert.equal(s['type'], 'bootstrap.kubernetes.io/token');
    assert.equal(s.metadata?.namespace, 'kube-system');
    assert.deepEqual(s.metadata?.labels, { [POOL_LABEL]: 'payments', 'app.kubernetes.io/managed-by': 'win-k8s' });
    const data = s['data'] as Record<string, string>;
    assert.deepEqual(Object.keys(data).sort(), [
      'auth-extra-groups',
      'description',
      'expiration',
      'token-id',
      'token-secret',
      'usage-bootstrap-authentication',
      'usage-bootstrap-signing',
    ]);
    assert.equal(decode(data['token-id']), t.id);
    assert.equal(decode(data['token-secret']), t.secret);
    assert.equal(decode(data['usage-bootstrap-authentication']), 'true');
    assert.equal(decode(data['usage-bootstrap-signing']), 'true');
    assert.equal(decode(data['auth-extra-groups']), BOOTSTRAP_TOKEN_GROUP);
    assert.equal(decode(data['auth-extra-groups']), 'system:bootstrappers:kubeadm:default-node-token');
    // Default TTL 1800 s, RFC 3339 without fractions as kubeadm writes it.
    assert.equal(decode(data['expiration']), '2030-01-02T03:34:05Z');
    assert.match(decode(data['description']), /win-k8s/);
    assert.match(decode(data['description']), /payments/);
    await deleteBootstrapToken(cluster, t.id);
  });

  it('authenticates as system:bootstrap:<id> with the kubeadm node-bootstrap group', async function () {
    const t = await createBootstrapToken(cluster, { pool: 'p' });
    const who = await whoAmI(t.token);
    assert.equal(who.status, 201, who.text);
    assert.equal(who.body.status.userInfo.username, `system:bootstrap:${t.id}`);
    assert.ok(who.body.status.userInfo.groups.includes('system:bootstrappers'));
    assert.ok(who.body.status.userInfo.groups.includes(BOOTSTRAP_TOKEN_GROUP));
    // What `kubeadm join` reads with the token is allowed by the cluster's kubeadm RBAC.
    const cm = await http.request('/api/v1/namespaces/kube-system/configmaps/kubeadm-config', { token: t.token });
    assert.equal(cm.status, 200, cm.text);
    await deleteBootstrapToken(cluster, t.id);
    assert.equal((await whoAmI(t.token)).status, 401, 'a deleted token no longer authenticates');
  });

  it('sets the expiry from the TTL, and the expired token is refused', async function () {
    const start = new Date();
    const t = await createBootstrapToken(cluster, { pool: 'p', ttlSeconds: 90, now: () => start });
    const expected = Math.floor(start.getTime() / 1000) * 1000 + 90_000;
    assert.equal(t.expiresAt.getTime(), expected);
    assert.equal(decode((tokenSecret(t.id)?.['data'] as Record<string, string>)['expiration']), new Date(expected).toISOString().replace('.000Z', 'Z'));

    const old = await createBootstrapToken(cluster, { pool: 'p', ttlSeconds: 60, now: () => new Date(Date.now() - 120_000) });
    assert.equal((await whoAmI(old.token)).status, 401, 'an expired token does not authenticate');
    assert.equal((await whoAmI(t.token)).status, 201);
    await deleteBootstrapToken(cluster, t.id);
    await deleteBootstrapToken(cluster, old.id);
  });

  it('rejects a TTL that is not a positive whole number of seconds', async function () {
    await assert.rejects(createBootstrapToken(cluster, { pool: 'p', ttlSeconds: 0 }), /ttlSeconds/);
    await assert.rejects(createBootstrapToken(cluster, { pool: 'p', ttlSeconds: 1.5 }), /ttlSeconds/);
  });

  it('draws ids and secrets at random', async function () {
    const tokens = await Promise.all(Array.from({ length: 20 }, () => createBootstrapToken(cluster, { pool: 'p' })));
    assert.equal(new Set(tokens.map((t) => t.id)).size, 20);
    assert.equal(new Set(tokens.map((t) => t.secret)).size, 20);
    // 20 x 22 characters from 36 letters and digits: every character of the alphabet is unlikely
    // to be missing by chance, while a constant or narrow generator would miss most of them.
    const seen = new Set(tokens.flatMap((t) => [...t.id, ...t.secret]));
    assert.ok(seen.size >= 30, `only ${seen.size} distinct characters`);
    await Promise.all(tokens.map((t) => deleteBootstrapToken(cluster, t.id)));
  });

  it('retries with a new id when the Secret name is taken (409)', async function () {
    fake.clearRequests();
    const fault = fake.injectFault({ method: 'POST', resource: 'secrets', status: 409, reason: 'AlreadyExists', count: 1 });
    const t = await createBootstrapToken(cluster, { pool: 'p' });
    assert.equal(fault.hits, 1);
    const posts = fake.requests.filter((r) => r.method === 'POST' && r.resource === 'secrets');
    assert.equal(posts.length, 2);
    assert.ok(tokenSecret(t.id));
    await deleteBootstrapToken(cluster, t.id);
  });

  it('maps a denied create to an environment error (exit 3)', async function () {
    fake.injectFault({ method: 'POST', resource: 'secrets', status: 403, reason: 'Forbidden', message: 'secrets is forbidden: User "x" cannot create resource "secrets"' });
    const err = await createBootstrapToken(cluster, { pool: 'p' }).then(
      () => assert.fail('expected a rejection'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof EnvironmentError);
    assert.equal(err.exitCode, 3);
  });

  it('deleteBootstrapToken accepts a token that is already gone', async function () {
    await deleteBootstrapToken(cluster, 'zzzzzz');
  });

  describe('withBootstrapToken', function () {
    it('deletes the token when fn returns, and passes the result through', async function () {
      let seen: string | undefined;
      const result = await withBootstrapToken(cluster, { pool: 'p' }, async (lease) => {
        seen = lease.id;
        assert.ok(tokenSecret(lease.id), 'the token exists while fn runs');
        assert.equal((await whoAmI(lease.token)).status, 201);
        return 42;
      });
      assert.equal(result, 42);
      assert.ok(seen);
      assert.equal(tokenSecret(seen), undefined, 'deleted afterwards');
    });

    it('deletes the token when fn throws, and rethrows fn’s error', async function () {
      let seen: string | undefined;
      await assert.rejects(
        withBootstrapToken(cluster, { pool: 'p' }, async (lease) => {
          seen = lease.id;
          throw new Error('join failed');
        }),
        /join failed/,
      );
      assert.ok(seen);
      assert.equal(tokenSecret(seen), undefined);
    });

    it('release() is idempotent: fn, a Ctrl-C handler and the wrapper share one DELETE', async function () {
      fake.clearRequests();
      let handed: TokenLease | undefined;
      const id = await withBootstrapToken(
        cluster,
        { pool: 'p', onLease: (l) => (handed = l) },
        async (lease) => {
          assert.equal(handed, lease, 'onLease hands out the same lease before fn runs');
          // What a SIGINT handler does while the join is still running.
          await Promise.all([lease.release(), lease.release()]);
          assert.ok(lease.isReleased);
          return lease.id;
        },
      );
      await handed?.release();
      assert.equal(requestsFor(id, 'DELETE').length, 1);
      assert.equal(tokenSecret(id), undefined);
    });

    it('fails, naming only the id, when the token cannot be deleted after a successful fn', async function () {
      fake.injectFault({ method: 'DELETE', resource: 'secrets', status: 500, message: 'etcd unavailable', count: 1 });
      let secret = '';
      let id = '';
      const err = await withBootstrapToken(cluster, { pool: 'p' }, async (lease) => {
        secret = lease.bootstrapToken.secret;
        id = lease.id;
      }).then(
        () => assert.fail('expected a rejection'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof OperationError);
      assert.match(err.message, new RegExp(`bootstrap token ${id}`));
      assert.ok(!err.message.includes(secret));
      assert.ok(!(err.hint ?? '').includes(secret));
      assert.ok(tokenSecret(id), 'still there: the DELETE failed');
      await deleteBootstrapToken(cluster, id);
    });

    it('keeps fn’s error when the delete fails too, and warns about the left-over token', async function () {
      fake.injectFault({ method: 'DELETE', resource: 'secrets', status: 500, count: 1 });
      const events: OutputEvent[] = [];
      let id = '';
      await assert.rejects(
        withBootstrapToken(cluster, { pool: 'p', onEvent: (e) => events.push(e) }, async (lease) => {
          id = lease.id;
          throw new Error('join failed');
        }),
        /join failed/,
      );
      const warning = events.find((e) => e.level === 'warn');
      assert.ok(warning, JSON.stringify(events));
      assert.match(warning.message, new RegExp(`could not delete bootstrap token ${id}`));
      await deleteBootstrapToken(cluster, id);
    });
  });

  it('never passes the token secret to the EventSink, on any path', async function () {
    const events: OutputEvent[] = [];
    const sink = (e: OutputEvent): void => void events.push(e);
    const secrets: string[] = [];
    const ids: string[] = [];
    const remember = (lease: TokenLease): void => {
      secrets.push(lease.bootstrapToken.secret);
      ids.push(lease.id);
    };

    await withBootstrapToken(cluster, { pool: 'p', onEvent: sink }, async (lease) => remember(lease));
    await withBootstrapToken(cluster, { pool: 'p', onEvent: sink }, async (lease) => {
      remember(lease);
      throw new Error('boom');
    }).catch(() => undefined);
    fake.injectFault({ method: 'DELETE', resource: 'secrets', status: 500, count: 2 });
    await withBootstrapToken(cluster, { pool: 'p', onEvent: sink }, async (lease) => remember(lease)).catch(() => undefined);
    await withBootstrapToken(cluster, { pool: 'p', onEvent: sink }, async (lease) => {
      remember(lease);
      throw new Error('boom');
    }).catch(() => undefined);
    const lease = await leaseBootstrapToken(cluster, { pool: 'p' }, sink);
    remember(lease);
    await lease.release();
    for (const id of ids) await deleteBootstrapToken(cluster, id);

    const transcript = JSON.stringify(events);
    assert.ok(events.length >= 8, `expected progress events, got ${transcript}`);
    for (const id of ids) assert.ok(transcript.includes(id), `the id ${id} is reported`);
    for (const secret of secrets) assert.ok(!transcript.includes(secret), `secret ${secret} leaked: ${transcript}`);

    // Nor does a lease that is logged or serialized by mistake.
    assert.ok(!JSON.stringify(lease).includes(lease.bootstrapToken.secret));
    assert.ok(!inspect(lease, { depth: 5 }).includes(lease.bootstrapToken.secret));
    assert.match(inspect(lease), new RegExp(lease.id));
  });

  it('lists the live win-k8s tokens of a pool (what a killed run leaves), never their secret, and not expired or foreign ones', async () => {
    const now = new Date();
    const left = await createBootstrapToken(cluster, { pool: 'lefty' });
    const other = await createBootstrapToken(cluster, { pool: 'other' });
    const expired = await createBootstrapToken(cluster, { pool: 'lefty', ttlSeconds: 1, now: () => new Date(now.getTime() - 60_000) });
    // A token kubeadm made by hand carries no win-k8s labels: it is not ours to list or delete.
    const foreign = { apiVersion: 'v1', kind: 'Secret', type: 'bootstrap.kubernetes.io/token', metadata: { name: 'bootstrap-token-kubead', namespace: 'kube-system' }, data: { 'token-id': Buffer.from('kubead').toString('base64') } };
    fake.store.put(foreign as KubeObject);
    try {
      const tokens = await listPoolTokens(cluster, 'lefty', now);
      assert.deepEqual(tokens.map((t) => [t.id, t.pool]), [[left.id, 'lefty']]);
      assert.equal(tokens[0]!.expiresAt, left.expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z'));
      assert.ok(!JSON.stringify(tokens).includes(left.secret));
      const all = await listPoolTokens(cluster, undefined, now);
      assert.deepEqual(all.map((t) => t.id).sort(), [left.id, other.id].sort());
    } finally {
      for (const id of [left.id, other.id, expired.id, 'kubead']) await deleteBootstrapToken(cluster, id);
    }
  });
});
