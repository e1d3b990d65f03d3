/** Write kubeconfig files that point at the fake (CA embedded, token or client-certificate user). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface KubeconfigUser {
  token?: string;
  /** Client certificate, embedded as client-certificate-data. */
  clientCertPem?: string;
  clientKeyPem?: string;
  /** Client certificate by path (client-certificate / client-key). */
  clientCertFile?: string;
  clientKeyFile?: string;
}

export interface KubeconfigOptions {
  /** https://127.0.0.1:<port> */
  server: string;
  caPem: string;
  user: KubeconfigUser;
  /** Context name (default "fake"). */
  contextName?: string;
  /** Cluster entry name (default "kubernetes"). */
  clusterName?: string;
  /** User entry name (default "<contextName>-user"). */
  userName?: string;
  namespace?: string;
}

const q = (s: string): string => JSON.stringify(s);
const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** Kubeconfig YAML text. */
export function renderKubeconfig(o: KubeconfigOptions): string {
  const ctx = o.contextName ?? 'fake';
  const cluster = o.clusterName ?? 'kubernetes';
  const userName = o.userName ?? `${ctx}-user`;
  const userLines: string[] = [];
  if (o.user.token !== undefined) userLines.push(`    token: ${q(o.user.token)}`);
  if (o.user.clientCertPem !== undefined) userLines.push(`    client-certificate-data: ${b64(o.user.clientCertPem)}`);
  if (o.user.clientKeyPem !== undefined) userLines.push(`    client-key-data: ${b64(o.user.clientKeyPem)}`);
  if (o.user.clientCertFile !== undefined) userLines.push(`    client-certificate: ${q(o.user.clientCertFile)}`);
  if (o.user.clientKeyFile !== undefined) userLines.push(`    client-key: ${q(o.user.clientKeyFile)}`);
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- cluster:',
    `    certificate-authority-data: ${b64(o.caPem)}`,
    `    server: ${q(o.server)}`,
    `  name: ${q(cluster)}`,
    'contexts:',
    '- context:',
    `    cluster: ${q(cluster)}`,
    `    user: ${q(userName)}`,
    ...(o.namespace ? [`    namespace: ${q(o.namespace)}`] : []),
    `  name: ${q(ctx)}`,
    `current-context: ${q(ctx)}`,
    'preferences: {}',
    'users:',
    `- name: ${q(userName)}`,
    userLines.length > 0 ? '  user:' : '  user: {}',
    ...userLines,
    '',
  ].join('\n');
}

/** Write a kubeconfig (mode 0600) to `path`, or to a new temp dir; returns the path. */
export function writeKubeconfig(o: KubeconfigOptions & { path?: string }): string {
  const path = o.path ?? join(mkdtempSync(join(tmpdir(), 'fake-kubeconfig-')), 'config');
  writeFileSync(path, renderKubeconfig(o), { mode: 0o600 });
  return path;
}
