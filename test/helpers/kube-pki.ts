/**
 * Test PKI for the fake kube-apiserver: a cluster CA, a serving certificate for 127.0.0.1 and
 * client certificates (CN = user, O = groups), all made with the `openssl` binary in a temp dir.
 *
 * Generation costs a few tens of milliseconds per certificate, so `getKubePki()` caches one PKI per
 * process; `createKubePki()` always makes a fresh one. Temp dirs are removed when the process exits.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface KubeCertPair {
  certPem: string;
  keyPem: string;
  certFile: string;
  keyFile: string;
}

export interface KubePkiOptions {
  /** Key algorithm for every key in this PKI. EC P-256 is the fast default. */
  keyType?: 'ec' | 'rsa';
  /** Subject alternative names of the serving certificate, openssl syntax. */
  serverSans?: string[];
  caCommonName?: string;
}

export interface CsrSubject {
  commonName: string;
  organizations: string[];
}

export interface KubePki {
  /** The temp directory that holds every file of this PKI. */
  readonly dir: string;
  readonly ca: KubeCertPair;
  readonly server: KubeCertPair;
  /** A client certificate (CN = user, O = each group) signed by the CA; cached per user+groups. */
  issueClientCert(user: string, groups?: string[], options?: { days?: number }): KubeCertPair;
  /** Sign a PEM CSR with the CA; returns the certificate PEM. */
  signCsr(csrPem: string, options?: { usage?: 'client' | 'server'; days?: number }): string;
  /** Remove the temp directory now (it is also removed at process exit). */
  cleanup(): void;
}

const DEFAULT_SANS = ['IP:127.0.0.1', 'DNS:localhost', 'DNS:kubernetes', 'DNS:kubernetes.default', 'DNS:kubernetes.default.svc'];

function openssl(args: string[], input?: string): string {
  return execFileSync('openssl', args, {
    input,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, OPENSSL_CONF: '/dev/null' },
  });
}

/** Escape one RDN value for `openssl -subj`. */
function rdn(value: string): string {
  return value.replace(/[\\/+=]/g, (c) => `\\${c}`);
}

function subjectOf(user: string, groups: string[]): string {
  return groups.map((g) => `/O=${rdn(g)}`).join('') + `/CN=${rdn(user)}`;
}

const REQ_CONFIG = '[req]\ndistinguished_name = dn\nprompt = no\n[dn]\n';

function serial(): string {
  // A positive 63-bit serial.
  const b = randomBytes(8);
  b[0] = (b[0] ?? 0) & 0x7f;
  return `0x${b.toString('hex')}`;
}

const tempDirs = new Set<string>();
let exitHookInstalled = false;
function trackTempDir(dir: string): void {
  tempDirs.add(dir);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
    });
  }
}

function genKey(keyType: 'ec' | 'rsa', file: string): void {
  if (keyType === 'ec') {
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file]);
  } else {
    openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', file]);
  }
}

export function createKubePki(options: KubePkiOptions = {}): KubePki {
  const keyType = options.keyType ?? 'ec';
  const dir = mkdtempSync(join(tmpdir(), 'kube-pki-'));
  trackTempDir(dir);
  const reqCnf = join(dir, 'req.cnf');
  writeFileSync(reqCnf, REQ_CONFIG);

  // CA
  const caKey = join(dir, 'ca.key');
  const caCrt = join(dir, 'ca.crt');
  const caExt = join(dir, 'ca-ext.cnf');
  writeFileSync(
    caExt,
    REQ_CONFIG +
      '[v3_ca]\nbasicConstraints = critical,CA:TRUE\nkeyUsage = critical,digitalSignature,keyEncipherment,keyCertSign\nsubjectKeyIdentifier = hash\n',
  );
  genKey(keyType, caKey);
  openssl([
    'req', '-x509', '-new', '-key', caKey, '-subj', `/CN=${rdn(options.caCommonName ?? 'kubernetes')}`,
    '-config', caExt, '-extensions', 'v3_ca', '-days', '3650', '-set_serial', serial(), '-out', caCrt,
  ]);
  const ca: KubeCertPair = { certFile: caCrt, keyFile: caKey, certPem: readFileSync(caCrt, 'utf8'), keyPem: readFileSync(caKey, 'utf8') };

  let counter = 0;
  const signCsrFile = (csrFile: string, certFile: string, usage: 'client' | 'server', days: number, sans?: string[]): void => {
    const ext = join(dir, `ext-${++counter}.cnf`);
    const lines = [
      '[ext]',
      'basicConstraints = critical,CA:FALSE',
      'keyUsage = critical,digitalSignature,keyEncipherment',
      `extendedKeyUsage = ${usage === 'server' ? 'serverAuth' : 'clientAuth'}`,
      'authorityKeyIdentifier = keyid',
    ];
    if (sans && sans.length > 0) lines.push(`subjectAltName = ${sans.join(',')}`);
    writeFileSync(ext, lines.join('\n') + '\n');
    openssl([
      'x509', '-req', '-in', csrFile, '-CA', caCrt, '-CAkey', caKey, '-set_serial', serial(),
      '-days', String(days), '-extfile', ext, '-extensions', 'ext', '-out', certFile,
    ]);
  };

  const makePair = (base: string, subject: string, usage: 'client' | 'server', days: number, sans?: string[]): KubeCertPair => {
    const keyFile = join(dir, `${base}.key`);
    const csrFile = join(dir, `${base}.csr`);
    const certFile = join(dir, `${base}.crt`);
    genKey(keyType, keyFile);
    openssl(['req', '-new', '-key', keyFile, '-subj', subject, '-config', reqCnf, '-out', csrFile]);
    signCsrFile(csrFile, certFile, usage, days, sans);
    return { certFile, keyFile, certPem: readFileSync(certFile, 'utf8'), keyPem: readFileSync(keyFile, 'utf8') };
  };

  const server = makePair('apiserver', '/CN=kube-apiserver', 'server', 365, options.serverSans ?? DEFAULT_SANS);
  const clientCache = new Map<string, KubeCertPair>();

  return {
    dir,
    ca,
    server,
    issueClientCert(user, groups = [], opts = {}) {
      const key = JSON.stringify([user, groups, opts.days ?? 365]);
      const cached = clientCache.get(key);
      if (cached) return cached;
      const pair = makePair(`client-${++counter}`, subjectOf(user, groups), 'client', opts.days ?? 365);
      clientCache.set(key, pair);
      return pair;
    },
    signCsr(csrPem, opts = {}) {
      const n = ++counter;
      const csrFile = join(dir, `signreq-${n}.csr`);
      const certFile = join(dir, `signreq-${n}.crt`);
      writeFileSync(csrFile, csrPem);
      signCsrFile(csrFile, certFile, opts.usage ?? 'client', opts.days ?? 365);
      return readFileSync(certFile, 'utf8');
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
      tempDirs.delete(dir);
    },
  };
}

let cached: KubePki | undefined;

/** The process-wide PKI (made on first use). Pass `{ fresh: true }` to replace it. */
export function getKubePki(options: { fresh?: boolean } = {}): KubePki {
  if (!cached || options.fresh) cached = createKubePki();
  return cached;
}

/** A new EC key and a PEM CSR for CN = user, O = groups, as a kubelet would make for its client cert. */
export function generateKeyAndCsr(user: string, groups: string[] = []): { keyPem: string; csrPem: string } {
  const dir = mkdtempSync(join(tmpdir(), 'kube-csr-'));
  try {
    const keyFile = join(dir, 'k.key');
    const cnf = join(dir, 'req.cnf');
    writeFileSync(cnf, REQ_CONFIG);
    genKey('ec', keyFile);
    const csrPem = openssl(['req', '-new', '-key', keyFile, '-subj', subjectOf(user, groups), '-config', cnf]);
    return { keyPem: readFileSync(keyFile, 'utf8'), csrPem };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Split an RFC 2253 name on unescaped commas and return CN and every O. */
function parseRfc2253(name: string): CsrSubject {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < name.length; i++) {
    const c = name[i];
    if (c === '\\' && i + 1 < name.length) {
      cur += name[++i];
    } else if (c === ',' || c === '+') {
      parts.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  parts.push(cur);
  const out: CsrSubject = { commonName: '', organizations: [] };
  for (const p of parts) {
    const eq = p.indexOf('=');
    const k = p.slice(0, eq).trim();
    const v = p.slice(eq + 1);
    if (k === 'CN') out.commonName = v;
    else if (k === 'O') out.organizations.push(v);
  }
  // RFC 2253 lists RDNs in reverse order; restore the order of the request.
  out.organizations.reverse();
  return out;
}

/** Read CN and O out of a PEM CSR (throws when the CSR does not parse or its signature is bad). */
export function readCsrSubject(csrPem: string): CsrSubject {
  const out = openssl(['req', '-noout', '-verify', '-subject', '-nameopt', 'RFC2253'], csrPem);
  const line = out.split('\n').find((l) => l.startsWith('subject='));
  if (!line) throw new Error('CSR has no subject');
  return parseRfc2253(line.slice('subject='.length));
}
