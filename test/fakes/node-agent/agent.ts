import { caCertHash } from '../../../src/cluster/ca-hash.js';
import type { FakeKubeApiServer } from '../kube-apiserver/index.js';
import { kubeHttpClient, type KubeHttpClient } from '../../helpers/kube-http.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A node key and CSR from openssl, asynchronously: many simulated nodes boot at once, and a
 * synchronous openssl per node would serialise them (and skew the fan-out benchmark).
 */
async function keyAndCsr(user: string, group: string): Promise<{ keyPem: string; csrPem: string }> {
  const { stdout } = await run('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', '-', '-subj', `/O=${group}/CN=${user}`], { encoding: 'utf8' });
  const keyPem = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----\n/.exec(stdout)?.[0];
  const csrPem = /-----BEGIN CERTIFICATE REQUEST-----[\s\S]+?-----END CERTIFICATE REQUEST-----\n/.exec(stdout)?.[0];
  if (!keyPem || !csrPem) throw new Error('openssl did not produce a key and CSR');
  return { keyPem, csrPem };
}
import { parseBootstrap, type BootstrapValues } from './script.js';

/**
 * A simulated Windows node for end-to-end tests. It finds VMs win-k8s created (through a
 * cloud-specific VmSource that reads the emulator), reads their bootstrap script from the
 * cloud's user data / metadata, and does what the script's join would do against the fake
 * kube-apiserver: pin the CA hash, authenticate with the bootstrap token, get a kubelet client
 * certificate through a CSR, register a Windows Node and turn it Ready. It writes the
 * bootstrap's console lines where the cloud's console output can serve them.
 */
export interface VmSource {
  /** Running VMs win-k8s created. */
  list(): Promise<{ id: string }[]>;
  /** The full bootstrap script of a VM. */
  script(id: string): Promise<string>;
}

export interface ConsoleSink {
  append(id: string, line: string): void;
}

export interface AgentOptions {
  source: VmSource;
  fake: FakeKubeApiServer;
  console?: ConsoleSink;
  pollMs?: number;
  /** Delay between the VM appearing and the Node registering (install time). */
  registerDelayMs?: number;
  readyDelayMs?: number;
}

export interface AgentRecord {
  id: string;
  nodeName?: string;
  state: 'booting' | 'registered' | 'ready' | 'provisioned' | 'failed';
  reason?: string;
  values?: BootstrapValues;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class SimulatedNodeAgent {
  readonly records = new Map<string, AgentRecord>();
  private timer: NodeJS.Timeout | undefined;
  private running = new Set<Promise<void>>();
  private stopped = false;
  private readonly http: KubeHttpClient;

  constructor(private readonly opts: AgentOptions) {
    this.http = kubeHttpClient(opts.fake.url, opts.fake.caPem);
  }

  start(): void {
    const tick = async () => {
      if (this.stopped) return;
      try {
        for (const vm of await this.opts.source.list()) {
          if (this.records.has(vm.id)) continue;
          const record: AgentRecord = { id: vm.id, state: 'booting' };
          this.records.set(vm.id, record);
          const p = this.boot(record).catch((err: unknown) => {
            record.state = 'failed';
            record.reason = (err as Error).message;
            this.console(vm.id, `win-k8s: join failed ${record.reason}`);
          });
          this.running.add(p);
          void p.finally(() => this.running.delete(p));
        }
      } catch {
        // The emulator may be briefly unavailable (throttling tests): try again next tick.
      }
      if (!this.stopped) this.timer = setTimeout(tick, this.opts.pollMs ?? 100);
    };
    void tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await Promise.allSettled([...this.running]);
  }

  private console(id: string, line: string): void {
    this.opts.console?.append(id, line);
  }

  private async boot(record: AgentRecord): Promise<void> {
    const script = await this.opts.source.script(record.id);
    const v = parseBootstrap(script);
    record.values = v;
    record.nodeName = v.nodeName;
    for (const phase of ['preflight', 'features', 'runtime', 'binaries', 'cni', 'services']) {
      this.console(record.id, `win-k8s: ${phase} started`);
      this.console(record.id, `win-k8s: ${phase} done`);
    }
    if (!v.phases.includes('join')) {
      record.state = 'provisioned';
      this.console(record.id, `win-k8s: complete done ${v.nodeName}`);
      return;
    }
    await sleep(this.opts.registerDelayMs ?? 0);
    this.console(record.id, 'win-k8s: join started');
    // kubeadm's discovery pins the CA: a wrong hash must never reach the cluster.
    if (caCertHash(this.opts.fake.caPem) !== v.caCertHash) throw new Error(`discovery: the cluster CA does not match ${v.caCertHash}`);
    const { csrPem, keyPem } = await keyAndCsr(`system:node:${v.nodeName}`, 'system:nodes');
    const csr = await this.http.request('/apis/certificates.k8s.io/v1/certificatesigningrequests', {
      token: v.token,
      method: 'POST',
      body: {
        apiVersion: 'certificates.k8s.io/v1',
        kind: 'CertificateSigningRequest',
        metadata: { generateName: 'csr-' },
        spec: { request: Buffer.from(csrPem).toString('base64'), signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: ['digital signature', 'client auth'] },
      },
    });
    if (csr.status !== 201) throw new Error(`kubeadm join: the bootstrap token was refused (HTTP ${csr.status})`);
    const name = csr.body.metadata.name as string;
    let issued: string | undefined;
    for (let i = 0; i < 100 && !issued; i++) {
      const got = await this.http.request(`/apis/certificates.k8s.io/v1/certificatesigningrequests/${name}`, { token: v.token });
      issued = got.body?.status?.certificate;
      if (!issued) await sleep(50);
    }
    if (!issued) throw new Error('kubeadm join: the node CSR was not signed');
    const cert = { certPem: Buffer.from(issued, 'base64').toString('utf8'), keyPem };
    const taints = v.taints.map((t) => {
      const m = /^([^=:]+)(?:=([^:]*))?:(\w+)$/.exec(t)!;
      return { key: m[1], ...(m[2] ? { value: m[2] } : {}), effect: m[3] };
    });
    const build = `10.0.${v.windowsBuild}`;
    const node = await this.http.request('/api/v1/nodes', {
      cert,
      method: 'POST',
      body: {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: v.nodeName, labels: { ...v.labels, 'kubernetes.io/os': 'windows', 'kubernetes.io/arch': 'amd64', 'kubernetes.io/hostname': v.nodeName, 'node.kubernetes.io/windows-build': build } },
        spec: { ...(taints.length > 0 ? { taints } : {}) },
        status: {
          nodeInfo: { operatingSystem: 'windows', kubeletVersion: `v${v.kubernetesVersion}`, kubeProxyVersion: `v${v.kubernetesVersion}`, osImage: 'Windows Server Datacenter', kernelVersion: `${build}.1`, containerRuntimeVersion: 'containerd://2.0.0', architecture: 'amd64', bootID: '', machineID: '', systemUUID: '' },
          conditions: [{ type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: 'container runtime network not ready', lastHeartbeatTime: new Date().toISOString(), lastTransitionTime: new Date().toISOString() }],
        },
      },
    });
    if (node.status !== 201) throw new Error(`kubelet could not register the node (HTTP ${node.status}): ${node.text}`);
    record.state = 'registered';
    this.console(record.id, `win-k8s: join done joined ${v.apiServer} as ${v.nodeName}`);
    await sleep(this.opts.readyDelayMs ?? 0);
    const st = await this.http.request(`/api/v1/nodes/${v.nodeName}/status`, {
      cert,
      method: 'PATCH',
      contentType: 'application/strategic-merge-patch+json',
      body: { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: new Date().toISOString(), lastTransitionTime: new Date().toISOString() }] } },
    });
    if (st.status !== 200) throw new Error(`kubelet could not report Ready (HTTP ${st.status})`);
    record.state = 'ready';
    this.console(record.id, 'win-k8s: network done');
    this.console(record.id, `win-k8s: complete done ${v.nodeName}`);
  }
}
