import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { PROJECT_ROOT, pwshPath, runPwsh, type PwshResult } from '../../helpers/pwsh.js';
import { createHash } from 'node:crypto';
import type { ArtifactServer } from './artifact-server.js';

/** The simulated machine's state, as windows-sim.ps1 keeps it in machine.json. */
export interface SimService {
  binaryPath: string;
  startupType: string;
  displayName: string;
  dependsOn: string[];
  status: 'Running' | 'Stopped';
  markedForDeletion: number;
  recovery: string | null;
  failureFlag: string | null;
}
export interface SimEvent {
  seq: number;
  run: number;
  kind: string;
  detail: unknown;
}
export interface MachineState {
  build: number;
  computerName: string;
  pendingComputerName: string | null;
  features: Record<string, boolean>;
  nestedVirtualization: boolean;
  services: Record<string, SimService>;
  tasks: Record<string, { execute: string; argument: string; atStartup: boolean; user: string; runLevel: string; started: number }>;
  firewall: Record<string, { Protocol: string; LocalPort: string; Direction: string; Action: string }>;
  defender: { paths: string[]; processes: string[] };
  acl: Record<string, { inheritance: string; grants: string[]; sizeWhenProtected: number; seq: number }>;
  registry: Record<string, Record<string, { type: string; value: string[] }>>;
  routes: { DestinationPrefix: string; ifIndex: number; RouteMetric: number; NextHop: string }[];
  addresses: { InterfaceIndex: number; IPAddress: string }[];
  persistentRoutes: string[];
  hnsNetworks: { Name: string; Type: string; AddressPrefix: string }[];
  freeBytes: number;
  podCidr: string;
  runtime: string;
  kubernetesMinor: number;
  deletionLinger: number;
  rebootRequested: boolean;
  reboots: number;
  run: number;
  seq: number;
  clockOffset: number;
  slept: number;
  faults: Record<string, number>;
  events: SimEvent[];
  exitCodes: number[];
}

export interface SimOptions {
  build: number;
  runtime: 'containerd' | 'docker';
  kubernetesVersion: string;
  nodeIp?: string;
  podCidr?: string;
  nestedVirtualization?: boolean;
  /** Whether the Windows features are already there (a reused image). */
  featuresInstalled?: boolean;
}

const HERE = import.meta.dirname;

/**
 * The simulator's .NET types (windows-sim-types.cs) compiled once per test process, into the
 * project's ignored .tmp/ folder, keyed by the source's hash.
 */
let assembly: Promise<string> | undefined;
function simAssembly(): Promise<string> {
  // A failure is not kept: the next test tries again instead of failing on the same promise.
  assembly ??= (async () => {
    const source = readFileSync(join(HERE, 'windows-sim-types.cs'));
    const dir = join(PROJECT_ROOT, '.tmp');
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `windows-sim-${createHash('sha256').update(source).digest('hex').slice(0, 16)}.dll`);
    if (!existsSync(path)) {
      // Test files run in parallel workers: each compiles into its own file and renames it into
      // place (atomic), so two workers never write the same file and either result is whole.
      const partial = `${path}.${process.pid}.partial`;
      const r = await runPwsh(['-Command', `Add-Type -TypeDefinition (Get-Content -Raw -LiteralPath '${join(HERE, 'windows-sim-types.cs')}') -OutputAssembly '${partial}' -OutputType Library`]);
      if (r.code !== 0) {
        rmSync(partial, { force: true });
        throw new Error(`could not compile the simulator's types: ${r.stderr}`);
      }
      renameSync(partial, path);
    }
    return path;
  })().catch((err: unknown) => {
    assembly = undefined;
    throw err;
  });
  return assembly;
}

/**
 * One simulated Windows Server: a temporary folder holding the system drive (with ProgramData,
 * Program Files and TEMP under it, as on Windows) and the machine state. Scripts run on it with
 * run-on-node.ps1; reboot() plays a restart (services, startup tasks, the pending computer name).
 */
export class NodeSim {
  readonly root: string;
  readonly drive: string;
  readonly simDir: string;
  readonly com1File: string;

  constructor(
    private readonly server: ArtifactServer,
    opts: SimOptions,
  ) {
    this.root = mkdtempSync(join(tmpdir(), 'win-k8s-node-'));
    this.drive = join(this.root, 'C');
    this.simDir = join(this.root, 'sim');
    this.com1File = join(this.simDir, 'com1.log');
    for (const d of [this.drive, join(this.drive, 'ProgramData'), join(this.drive, 'Program Files'), join(this.drive, 'Windows', 'Temp'), this.simDir]) mkdirSync(d, { recursive: true });
    writeFileSync(this.com1File, '');
    const nodeIp = opts.nodeIp ?? '10.0.1.15';
    const features = opts.featuresInstalled ?? false;
    const state: Partial<MachineState> = {
      build: opts.build,
      computerName: 'EC2AMAZ-7Q2K1LM',
      pendingComputerName: null,
      features: { Containers: features, 'Hyper-V': false, 'Hyper-V-PowerShell': false },
      nestedVirtualization: opts.nestedVirtualization ?? true,
      // What a Windows Server image already runs that the bootstrap touches.
      services: { w32time: { binaryPath: 'C:\\Windows\\system32\\svchost.exe -k LocalService', startupType: 'Manual', displayName: 'Windows Time', dependsOn: [], status: 'Stopped', markedForDeletion: 0, recovery: null, failureFlag: null } },
      tasks: {},
      firewall: {},
      defender: { paths: [], processes: [] },
      acl: {},
      registry: {},
      // Two interfaces with default routes: the one with the lower metric is the node's (as on a
      // Docker host, where the vEthernet (nat) adapter also exists).
      routes: [
        { DestinationPrefix: '0.0.0.0/0', ifIndex: 9, RouteMetric: 25, NextHop: '172.25.16.1' },
        { DestinationPrefix: '0.0.0.0/0', ifIndex: 6, RouteMetric: 5, NextHop: '10.0.1.1' },
      ],
      addresses: [
        { InterfaceIndex: 6, IPAddress: '169.254.12.7' },
        { InterfaceIndex: 6, IPAddress: nodeIp },
        { InterfaceIndex: 9, IPAddress: '172.25.16.1' },
      ],
      persistentRoutes: [],
      hnsNetworks: [],
      freeBytes: 96 * 1024 ** 3,
      podCidr: opts.podCidr ?? '10.244.3.0/24',
      runtime: opts.runtime,
      kubernetesMinor: Number(opts.kubernetesVersion.split('.')[1]),
      deletionLinger: 3,
      rebootRequested: false,
      reboots: 0,
      run: 0,
      seq: 0,
      clockOffset: 0,
      slept: 0,
      faults: {},
      events: [],
      exitCodes: [],
    };
    writeFileSync(join(this.simDir, 'machine.json'), JSON.stringify(state, null, 2));
  }

  /** Windows' own environment variables for the roots, pointed into the temporary folder. */
  private async env(): Promise<NodeJS.ProcessEnv> {
    return {
      WIN_K8S_SIM_ASSEMBLY: await simAssembly(),
      WIN_K8S_SIM_DIR: this.simDir,
      WIN_K8S_SIM_COM1: this.com1File,
      WIN_K8S_SIM_DOWNLOADS: this.server.url,
      SystemDrive: this.drive,
      ProgramData: join(this.drive, 'ProgramData'),
      ProgramFiles: join(this.drive, 'Program Files'),
      SystemRoot: join(this.drive, 'Windows'),
      TEMP: join(this.drive, 'Windows', 'Temp'),
    };
  }

  state(): MachineState {
    return JSON.parse(readFileSync(join(this.simDir, 'machine.json'), 'utf8')) as MachineState;
  }

  update(change: (s: MachineState) => void): void {
    const s = this.state();
    change(s);
    writeFileSync(join(this.simDir, 'machine.json'), JSON.stringify(s, null, 2));
  }

  /** Arms a fault at a named point of the simulator (see Test-SimFault callers) for `times` hits. */
  fault(point: string, times = 1): void {
    this.update((s) => {
      s.faults[point] = times;
    });
  }

  /** Puts a file where a cloud agent would, and returns its path on the simulated drive. */
  place(relative: string, content: string | Buffer): string {
    const path = join(this.drive, ...relative.split(/[\\/]/));
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, content);
    return path;
  }

  /** Runs a script as powershell.exe -File would. */
  async run(scriptPath: string): Promise<PwshResult> {
    return runPwsh(['-File', join(HERE, 'run-on-node.ps1'), '-Script', scriptPath], { env: await this.env(), timeoutMs: 180_000 });
  }

  /** A restart: services come back per their start type, startup tasks run (the resume task too). */
  async boot(): Promise<PwshResult> {
    return runPwsh(['-File', join(HERE, 'boot-node.ps1')], { env: await this.env(), timeoutMs: 180_000 });
  }

  /**
   * Another process on this machine takes the named mutex (through the simulator, as a second
   * bootstrap would) and keeps it until release() is called.
   */
  async holdMutex(name: string): Promise<{ release: () => Promise<void> }> {
    const script = [
      `. '${join(HERE, 'windows-sim.ps1').replace(/'/g, "''")}'`,
      `$m = New-Object System.Threading.Mutex -ArgumentList $false, '${name.replace(/'/g, "''")}'`,
      "if (-not $m.WaitOne(0)) { throw 'the mutex is taken' }",
      "[Console]::Out.WriteLine('held'); [Console]::Out.Flush()",
      '[void][Console]::In.ReadLine()',
      '$m.ReleaseMutex()',
    ].join('\n');
    const child = spawn(pwshPath(), ['-NoProfile', '-NonInteractive', '-Command', script], { env: { ...process.env, ...(await this.env()) }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    await new Promise<void>((resolvePromise, reject) => {
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (out.includes('held')) resolvePromise();
      });
      child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.on('exit', (code) => reject(new Error(`the mutex holder exited (${code}) before it held the mutex: ${out}`)));
    });
    return {
      release: () =>
        new Promise<void>((resolvePromise) => {
          if (child.exitCode !== null) return resolvePromise();
          child.on('exit', () => resolvePromise());
          child.stdin.end('\n');
        }),
    };
  }

  path(relative: string): string {
    return join(this.drive, ...relative.split(/[\\/]/));
  }

  exists(relative: string): boolean {
    return existsSync(this.path(relative));
  }

  read(relative: string): Buffer {
    return readFileSync(this.path(relative));
  }

  com1(): string[] {
    return readFileSync(this.com1File, 'utf8').split('\n').filter(Boolean);
  }

  events(kind?: string): SimEvent[] {
    return this.state().events.filter((e) => !kind || e.kind === kind);
  }

  dispose(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
