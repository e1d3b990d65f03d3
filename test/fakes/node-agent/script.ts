import { gunzipSync } from 'node:zlib';

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
  if (stub) text = gunzipSync(Buffer.from(stub[1]!.replace(/\s/g, ''), 'base64')).toString('utf8');
  return text;
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
    caCertHash: single(script, 'CaCertHash'),
    kubernetesVersion: single(script, 'KubernetesVersion'),
    windowsBuild: Number(/^\s*WindowsBuild\s+= (\d+)/m.exec(script)?.[1] ?? 0),
    token: /^\$BootstrapToken = '([^']*)'/m.exec(script)?.[1] ?? '',
    phases: array(script, 'phases'),
    labels,
    taints: (flag('register-with-taints') ?? '').split(',').filter(Boolean),
  };
}
