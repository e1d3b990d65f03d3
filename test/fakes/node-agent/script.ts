import { gunzipSync } from 'node:zlib';
import { parse as parseYaml } from 'yaml';

/** What a Windows node learns from its bootstrap script: what the simulated agent acts on. */
export interface BootstrapValues {
  nodeName: string;
  apiServer: string;
  caCertHash: string;
  kubernetesVersion: string;
  windowsBuild: number;
  token: string;
  phases: string[];
  labels: Record<string, string>;
  taints: string[];
}

/** User data as a cloud holds it: `<powershell>...</powershell>`, maybe the compressed stub. */
export function scriptFromUserData(userData: string): string {
  let text = userData.replace(/^\s*<powershell>\s*\n?/, '').replace(/\n?<\/powershell>\s*$/, '');
  const stub = /\$payload = @'\n([\s\S]*?)\n'@/.exec(text);
  if (stub) text = gunzipSync(b85decode(stub[1]!.replace(/\s/g, ''))).toString('utf8');
  return text;
}

/** Base85 with the RFC 1924 alphabet, as Python's base64.b85decode reads it. */
export function b85decode(text: string): Buffer {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~';
  const pad = (5 - (text.length % 5)) % 5;
  const padded = text + '~'.repeat(pad);
  const out = Buffer.alloc((padded.length / 5) * 4);
  for (let i = 0; i < padded.length; i += 5) {
    let v = 0;
    for (let k = 0; k < 5; k++) {
      const d = alphabet.indexOf(padded[i + k]!);
      if (d < 0) throw new Error(`not base85: ${JSON.stringify(padded[i + k])}`);
      v = v * 85 + d;
    }
    if (v > 0xffffffff) throw new Error('base85 group overflows 32 bits');
    out.writeUInt32BE(v, (i / 5) * 4);
  }
  return out.subarray(0, out.length - pad);
}

function single(script: string, key: string): string {
  const m = new RegExp(`^\\s*${key}\\s+= '((?:[^']|'')*)'`, 'm').exec(script);
  if (!m) throw new Error(`bootstrap script has no ${key}`);
  return m[1]!.replace(/''/g, "'");
}

function array(script: string, key: string): string[] {
  const m = new RegExp(`^\\s*\\$?${key}\\s+= @\\(([\\s\\S]*?)\\n\\s*\\)`, 'm').exec(script);
  if (!m) return [];
  return [...m[1]!.matchAll(/'((?:[^']|'')*)'/g)].map((x) => x[1]!.replace(/''/g, "'"));
}

/** The kubeadm JoinConfiguration the script carries (its token slot is filled on the node). */
export function joinConfiguration(script: string): { discovery: { bootstrapToken: { apiServerEndpoint: string; token: string; caCertHashes: string[] } }; nodeRegistration: { name: string; criSocket: string } } {
  const m = /^\s*JoinConfiguration = '((?:[^']|'')*)'/m.exec(script);
  if (!m) throw new Error('bootstrap script has no JoinConfiguration');
  return parseYaml(m[1]!.replace(/''/g, "'")) as ReturnType<typeof joinConfiguration>;
}

export function parseBootstrap(script: string): BootstrapValues {
  const flags = array(script, 'KubeletFlags');
  const flag = (name: string) => flags.find((f) => f.startsWith(`--${name}=`))?.slice(name.length + 3);
  const labels: Record<string, string> = {};
  for (const pair of (flag('node-labels') ?? '').split(',').filter(Boolean)) {
    const [k, v] = pair.split('=');
    labels[k!] = v ?? '';
  }
  return {
    nodeName: single(script, 'NodeName'),
    apiServer: single(script, 'ApiServer'),
    caCertHash: joinConfiguration(script).discovery.bootstrapToken.caCertHashes[0]!,
    kubernetesVersion: single(script, 'KubernetesVersion'),
    windowsBuild: Number(/^\s*WindowsBuild\s+= (\d+)/m.exec(script)?.[1] ?? 0),
    token: /^\$BootstrapToken = '([^']*)'/m.exec(script)?.[1] ?? '',
    phases: array(script, 'phases'),
    labels,
    taints: (flag('register-with-taints') ?? '').split(',').filter(Boolean),
  };
}
