import type { TokenCredential } from '@azure/core-auth';
import type { HttpClient } from '@azure/core-rest-pipeline';
import type { VirtualMachine } from '@azure/arm-compute';
import { InterruptedError, OperationError, UsageError } from '../../errors.js';
import type { Placement } from '../../cluster/provider-id.js';
import type { EventSink } from '../../output/output.js';
import {
  type CloudProvider,
  type CreateVmsRequest,
  type FirewallResult,
  type ImageRequest,
  type ManagedVm,
  type PlacementRequest,
  type PoolRef,
  type ResolvedImage,
  type ResolvedPlacement,
  type RunPowerShellOptions,
  type RunPowerShellResult,
  type VmResult,
  type WizardChoices,
} from '../provider.js';
import { forEachBounded } from '../aws/concurrency.js';
import { azureErrorCode, azureStatus, isEnvironmentFailure, scrub, toWinK8sError, vmFailureText } from './errors.js';
import { azureBootstrap } from './custom-data.js';
import { imageReference, knownOsDiskGb, resolveImage } from './images.js';
import { wizardChoices } from './choices.js';
import { deleteOrphanNics } from './network-interface.js';
import { deletePoolNsgs, ensureFirewall } from './network-security.js';
import { resolvePlacement } from './placement.js';
import { PasswordFile, generateAdminPassword } from './admin-password.js';
import { ignore404, listEverywhere, lroOptions, type LroOptions } from './operations.js';
import { DEFAULT_TUNING, connect, parseArmId, vmRef, type AzureContext, type AzureTuning, type Session } from './session.js';
import { AZ_TAG_CLUSTER, AZ_TAG_NODE, AZ_TAG_POOL } from './tags.js';
import { RUN_COMMAND_MAX_MS, checkScriptSize, parseRunCommandOutput, runCommandScript } from './run-command.js';

export const DEFAULT_VM_SIZE = 'Standard_D4s_v5';
export const ADMIN_USER = 'winadmin';
export const EXTENSION_NAME = 'win-k8s-bootstrap';

export interface AzureProviderOptions {
  sink: EventSink;
  /** Else AZURE_SUBSCRIPTION_ID, else the control plane's providerID. */
  subscription?: string | undefined;
  /** Else the control plane's resource group. */
  resourceGroup?: string | undefined;
  /** Else the control plane VM's (or the subnet's VNet's) location. */
  location?: string | undefined;
  /** Default Standard_D4s_v5. */
  vmSize?: string | undefined;
  /**
   * --disk-size. Undefined: the image's own size (a Windows Server marketplace image is 127 GiB,
   * and ARM refuses anything smaller), so no default below it can be sent by accident.
   */
  diskSizeGb?: number | undefined;
  /** Premium_LRS (default), StandardSSD_LRS, Standard_LRS ... */
  diskType?: string | undefined;
  subnetId?: string | undefined;
  allowRdpFrom?: string | undefined;
  image?: string | undefined;
  edition: 'core' | 'full';
  /**
   * When set, each VM's generated admin password is appended there as `<node>\t<password>` (mode
   * 0600) once ARM accepted that VM; otherwise it is never stored.
   */
  adminPasswordFile?: string | undefined;
  /** Default: DefaultAzureCredential (az login, environment, managed identity ...). */
  credential?: TokenCredential | undefined;
  /** ARM endpoint (sovereign clouds, tests); AZURE_ARM_ENDPOINT works too. */
  endpoint?: string | undefined;
  /** Tests route requests to a local fake through it. */
  httpClient?: HttpClient | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  controlPlane?: Placement | undefined;
  tuning?: Partial<AzureTuning> | undefined;
  /** --hyperv-isolation: the machine must run the Hyper-V role (nested virtualization). */
  nestedVirtualization?: boolean | undefined;
}

/** Azure's provisioning and power states in the words the join engine and `list` use (EC2's). */
export function vmState(provisioningState: string | undefined, power: string | undefined): string {
  if (provisioningState === 'Deleting') return 'shutting-down';
  if (provisioningState === 'Failed') return 'failed';
  switch (power) {
    case 'running':
      return 'running';
    case 'starting':
      return 'pending';
    case 'stopping':
    case 'deallocating':
      return 'stopping';
    case 'stopped':
    case 'deallocated':
      return 'stopped';
    default:
      return provisioningState === 'Creating' || provisioningState === 'Updating' ? 'pending' : (power ?? provisioningState ?? 'unknown').toLowerCase();
  }
}

export function createAzureProvider(opts: AzureProviderOptions): CloudProvider {
  return new AzureProvider(opts);
}

class AzureProvider implements CloudProvider {
  readonly cloud = 'azure' as const;
  private readonly tuning: AzureTuning;
  private session: Promise<Session> | undefined;
  private controlPlane: Placement | undefined;
  private location: string | undefined;
  private resourceGroup: string | undefined;
  /** VMs whose extension command carries a bootstrap token (join, not provision). */
  private readonly tokenBearing = new Set<string>();

  constructor(private readonly opts: AzureProviderOptions) {
    this.tuning = { ...DEFAULT_TUNING, ...opts.tuning };
    this.controlPlane = opts.controlPlane;
    this.location = opts.location;
    this.resourceGroup = opts.resourceGroup;
  }

  private get sink(): EventSink {
    return this.opts.sink;
  }

  private get env(): NodeJS.ProcessEnv {
    return this.opts.env ?? process.env;
  }

  private get vmSize(): string {
    return this.opts.vmSize ?? DEFAULT_VM_SIZE;
  }

  /** Options for every long-running operation: the poll interval, and the caller's signal. */
  private lro(abortSignal?: AbortSignal): LroOptions {
    return lroOptions(this.tuning.pollIntervalMs, abortSignal);
  }

  private azureControlPlane(): Extract<Placement, { cloud: 'azure' }> | undefined {
    return this.controlPlane?.cloud === 'azure' ? this.controlPlane : undefined;
  }

  private rg(): string {
    const rg = this.resourceGroup ?? this.azureControlPlane()?.resourceGroup;
    if (!rg) throw new UsageError('no Azure resource group given', { field: '--resource-group', hint: 'pass --resource-group; by default win-k8s uses the control plane VM\'s resource group' });
    return rg;
  }

  private connect(): Promise<Session> {
    this.session ??= connect({
      sink: this.sink,
      subscription: this.opts.subscription ?? this.env.AZURE_SUBSCRIPTION_ID ?? this.azureControlPlane()?.subscription,
      endpoint: this.opts.endpoint,
      credential: this.opts.credential,
      httpClient: this.opts.httpClient,
      env: this.env,
      tuning: this.tuning,
    }).catch((err: unknown) => {
      this.session = undefined;
      throw err;
    });
    return this.session;
  }

  private ctx(s: Session): AzureContext {
    return { s, sink: this.sink, lro: (abortSignal) => this.lro(abortSignal), rg: () => this.rg() };
  }

  private async run<T>(action: string, fn: (s: Session) => Promise<T>): Promise<T> {
    let session: Session | undefined;
    try {
      session = await this.connect();
      return await fn(session);
    } catch (err) {
      throw toWinK8sError(err, { action, endpoint: session?.endpoint });
    }
  }

  async resolveImage(req: ImageRequest): Promise<ResolvedImage> {
    // Marketplace URNs with `latest` need no lookup; a wrong SKU fails the VM create with ARM's message.
    const image = resolveImage({ ...req, edition: req.edition ?? this.opts.edition, image: req.image ?? this.opts.image });
    // Checked here, before the NSG and the first NIC exist, not when ARM refuses the VM.
    this.osDiskGb(image.id);
    return Promise.resolve(image);
  }

  /**
   * The OS disk size sent with the VM: never below the image's, which ARM refuses with
   * OperationNotAllowed. Undefined leaves diskSizeGB out, and Azure uses the image's size.
   */
  private osDiskGb(imageId: string): number | undefined {
    const imageGb = knownOsDiskGb(imageId);
    const asked = this.opts.diskSizeGb;
    if (asked === undefined) return imageGb;
    if (imageGb !== undefined && asked < imageGb) {
      throw new UsageError(`${asked} GiB is smaller than the image's ${imageGb} GiB OS disk`, { field: '--disk-size', hint: `use at least ${imageGb}, or leave --disk-size out to get the image's size` });
    }
    return asked;
  }

  resolvePlacement(req: PlacementRequest): Promise<ResolvedPlacement> {
    if (req.controlPlane && !this.controlPlane) this.controlPlane = req.controlPlane;
    return this.run('resolve the placement', (s) =>
      resolvePlacement(this.ctx(s), {
        subnetId: this.opts.subnetId,
        controlPlane: this.azureControlPlane(),
        flagLocation: this.opts.location,
        location: this.location,
        settleLocation: (location) => (this.location ??= location),
        vmSize: this.vmSize,
        nestedVirtualization: this.opts.nestedVirtualization,
      }),
    );
  }

  ensureFirewall(ref: PoolRef, placement: ResolvedPlacement): Promise<FirewallResult> {
    return this.run('create the network security group', (s) => ensureFirewall(this.ctx(s), ref, placement, this.opts.allowRdpFrom));
  }

  createVms(req: CreateVmsRequest): Promise<VmResult[]> {
    return this.run('create the VMs', async (s) => {
      const rg = this.rg();
      const results: VmResult[] = req.vms.map((v) => ({ nodeName: v.nodeName }));
      if (req.vms.length === 0) return results;
      const diskGb = this.osDiskGb(req.image.id);
      if (this.opts.diskSizeGb === undefined) {
        this.sink({ level: 'info', message: `OS disk: ${diskGb !== undefined ? `${diskGb} GiB, ` : ''}the image's own size (--disk-size asks for more)` });
      }
      const passwords = this.opts.adminPasswordFile ? await PasswordFile.open(this.opts.adminPasswordFile) : undefined;
      try {
        await this.createAll(s, rg, req, results, diskGb, passwords);
      } finally {
        await passwords?.close();
      }
      if (passwords && passwords.written > 0) {
        this.sink({ level: 'info', message: `the ${ADMIN_USER} password of ${passwords.written} VM${passwords.written === 1 ? '' : 's'} appended to ${passwords.path} (one "<node><TAB><password>" line each)` });
      }
      return results;
    });
  }

  private async createAll(s: Session, rg: string, req: CreateVmsRequest, results: VmResult[], diskGb: number | undefined, passwords: PasswordFile | undefined): Promise<void> {
    let fatal: unknown;
    await forEachBounded(req.vms, req.concurrency, async (vm, index) => {
      const result = results[index]!;
      if (req.signal.aborted) {
        result.error = 'not created: interrupted';
        return;
      }
      if (fatal !== undefined) {
        result.error = 'not created: an earlier call failed for every VM';
        return;
      }
      const started = Date.now();
      try {
        await this.createOne(s, rg, req, vm.nodeName, vm.script, diskGb, passwords, result);
        result.provisionSeconds = Math.round((Date.now() - started) / 100) / 10;
        this.sink({ level: 'success', message: `VM created (${result.privateIp ?? 'no IP yet'})`, subject: vm.nodeName });
      } catch (err) {
        if (isEnvironmentFailure(err)) fatal ??= err;
        result.error = vmFailureText(err);
        this.sink({ level: 'error', message: result.error, subject: vm.nodeName });
      }
    });
    if (fatal !== undefined && results.every((r) => r.error)) throw fatal;
  }

  /** Fills `result` as it goes: a VM that exists but failed keeps its instanceId for --on-failure. */
  private async createOne(s: Session, rg: string, req: CreateVmsRequest, nodeName: string, script: string, diskGb: number | undefined, passwords: PasswordFile | undefined, result: VmResult): Promise<void> {
    if (nodeName.length > 15 || !/^[A-Za-z0-9][A-Za-z0-9-]*$/.test(nodeName) || /^\d+$/.test(nodeName)) {
      throw new UsageError(`node name "${nodeName}" cannot be a Windows computer name (at most 15 letters, digits and hyphens, not only digits)`, { field: '--pool' });
    }
    // The token goes in the extension's protectedSettings, never in customData.
    const { customData, commandToExecute, carriesToken } = azureBootstrap(nodeName, script);
    // One per VM: a password file line then belongs to exactly one VM, and one leaked password opens one node.
    const password = generateAdminPassword();
    const tags = { [AZ_TAG_CLUSTER]: req.ref.cluster, [AZ_TAG_POOL]: req.ref.pool, [AZ_TAG_NODE]: nodeName };
    const location = req.placement.region;
    const nicName = `${nodeName}-nic`;
    const diskName = `${nodeName}-osdisk`;
    const nic = await s.network.networkInterfaces.beginCreateOrUpdateAndWait(
      rg,
      nicName,
      {
        location,
        tags,
        networkSecurityGroup: { id: req.firewall.id },
        // No publicIPAddress: nodes are reached from the VNet only.
        ipConfigurations: [{ name: 'ipconfig1', primary: true, privateIPAllocationMethod: 'Dynamic', subnet: { id: req.placement.subnetId } }],
      },
      this.lro(),
    );
    this.sink({ level: 'debug', message: `network interface ${nicName} created`, subject: nodeName });
    const vmModel: VirtualMachine = {
      location,
      tags,
      hardwareProfile: { vmSize: this.vmSize },
      storageProfile: {
        imageReference: imageReference(req.image.id),
        osDisk: { name: diskName, createOption: 'FromImage', ...(diskGb !== undefined ? { diskSizeGB: diskGb } : {}), managedDisk: { storageAccountType: this.opts.diskType ?? 'Premium_LRS' }, deleteOption: 'Delete' },
      },
      osProfile: {
        computerName: nodeName,
        adminUsername: ADMIN_USER,
        adminPassword: password,
        customData,
        windowsConfiguration: { provisionVMAgent: true, enableAutomaticUpdates: false },
      },
      networkProfile: { networkInterfaces: [{ id: nic.id!, primary: true, deleteOption: 'Delete' }] },
      // Managed boot diagnostics: no storage account, and the serial log is what consoleOutput reads.
      diagnosticsProfile: { bootDiagnostics: { enabled: true } },
    };
    let created: VirtualMachine;
    try {
      if (req.signal.aborted) throw new OperationError('not created: interrupted');
      const poller = s.compute.virtualMachines.createOrUpdate(rg, nodeName, vmModel, this.lro());
      await poller.submitted();
      // Accepted: the VM exists with this password from now on, even if provisioning fails later.
      await passwords?.append(nodeName, password).catch((err: unknown) => {
        this.sink({ level: 'warn', message: `could not write the admin password to ${passwords.path} (${(err as NodeJS.ErrnoException).code ?? 'error'}); reset it with \`az vm user update\` if you need RDP`, subject: nodeName });
      });
      this.sink({ level: 'info', message: 'VM create accepted by Azure; provisioning usually takes a few minutes', subject: nodeName });
      created = await poller;
    } catch (err) {
      // A VM refused at once (quota, validation) leaves the NIC orphaned, and the NIC would keep
      // the pool's NSG in use. A VM that failed later (AllocationFailed) exists in state Failed
      // with its NIC and disk: its id goes back with the error, so --on-failure applies to it and
      // remove finds it by its tags.
      const failed = await s.compute.virtualMachines.get(rg, nodeName).catch(() => undefined);
      if (failed?.id) result.instanceId = failed.id;
      else {
        await ignore404(s.network.networkInterfaces.beginDeleteAndWait(rg, nicName, this.lro())).catch((cleanup: unknown) => {
          this.sink({ level: 'warn', message: `could not delete network interface ${nicName} (${azureErrorCode(cleanup)}); \`win-k8s remove\` retries it`, subject: nodeName });
        });
      }
      throw err;
    }
    // The OS disk is created by the VM and does not inherit its tags: tag it so list/remove and
    // cost reports find it. A failure here costs only the tag, so it warns.
    try {
      await s.compute.disks.update(rg, created.storageProfile?.osDisk?.name ?? diskName, { tags }, this.lro());
    } catch (err) {
      this.sink({ level: 'warn', message: `could not tag OS disk ${diskName}: ${azureErrorCode(err)}`, subject: nodeName });
    }
    const poller = s.compute.virtualMachineExtensions.createOrUpdate(rg, nodeName, EXTENSION_NAME, {
      location,
      tags,
      publisher: 'Microsoft.Compute',
      typePropertiesType: 'CustomScriptExtension',
      typeHandlerVersion: '1.10',
      autoUpgradeMinorVersion: true,
      // Encrypted to the VM; ARM never returns protectedSettings.
      protectedSettings: { commandToExecute },
    }, this.lro());
    // The bootstrap runs for minutes and reboots: the join watches the node, not the extension.
    await poller.submitted();
    const privateIp = nic.ipConfigurations?.[0]?.privateIPAddress;
    result.instanceId = created.id ?? nodeName;
    if (carriesToken) this.tokenBearing.add(result.instanceId);
    if (privateIp) result.privateIp = privateIp;
  }

  /**
   * Once a VM's join is over its extension goes: the extension's command, kept in ARM's model and
   * (encrypted to the VM) among the extension's settings on the VM, carries the bootstrap token.
   * The bootstrap is not the extension's any more by then (after the features restart the resume
   * task runs it), and its lines stay on COM1; the extension's status goes with it.
   */
  forgetBootstrap(instanceIds: string[]): Promise<void> {
    const ids = [...new Set(instanceIds)].filter((id) => this.tokenBearing.has(id));
    if (ids.length === 0) return Promise.resolve();
    return this.run('delete the bootstrap extension', async (s) => {
      const failures: string[] = [];
      await forEachBounded(ids, 10, async (id) => {
        const { rg, name } = this.vmRef(id);
        try {
          await ignore404(s.compute.virtualMachineExtensions.delete(rg, name, EXTENSION_NAME, this.lro()));
          this.tokenBearing.delete(id);
        } catch (err) {
          if (isEnvironmentFailure(err)) throw err;
          failures.push(`${name}: ${vmFailureText(err)}`);
        }
      });
      if (failures.length) {
        throw new OperationError(`could not delete the bootstrap extension of ${failures.length} VM${failures.length === 1 ? '' : 's'}:\n${failures.join('\n')}`, {
          hint: `its command holds the bootstrap token until that expires; \`az vm extension delete --name ${EXTENSION_NAME} --vm-name <vm> -g <group>\` removes it`,
        });
      }
    });
  }

  consoleOutput(instanceId: string): Promise<string> {
    return this.run('read the serial console', async (s) => {
      const { rg, name } = this.vmRef(instanceId);
      const data = await s.compute.virtualMachines.retrieveBootDiagnosticsData(rg, name, { sasUriExpirationTimeInMinutes: 5 });
      const serial = data.serialConsoleLogBlobUri ? await fetchBlob(data.serialConsoleLogBlobUri, this.opts.httpClient) : '';
      return serial + (await this.extensionOutput(s, rg, name, serial));
    });
  }

  /**
   * What the Custom Script Extension's status adds to the serial log.
   *
   * The bootstrap writes each phase line to COM1 and, through Write-Host, to its stdout, which the
   * extension keeps (the last 4 KB) in its StdOut substatus. Where COM1 stays empty (the Serial
   * Console's SAC holds it) those lines are the only ones: they are added, as `win-k8s: ...`
   * without the log's timestamp, unless the serial log has them already. The extension reports
   * stdout once its command has ended, and the part of the bootstrap that runs after the features
   * reboot comes from the resume task, not the extension: that part shows on COM1 only.
   *
   * A bootstrap that failed before it could write to COM1 (PowerShell refused to start, the
   * customData file missing) shows only in the extension's status: appended in the console's
   * own line format so the join's TimedOut report carries it.
   */
  private async extensionOutput(s: Session, rg: string, vmName: string, serial: string): Promise<string> {
    const ext = await s.compute.virtualMachineExtensions.get(rg, vmName, EXTENSION_NAME, { expand: 'instanceView' }).catch(() => undefined);
    const view = ext?.instanceView;
    const seen = new Set(serial.split(/\r?\n/).map((l) => l.trim()));
    const stdout = view?.substatuses?.find((st) => /StdOut/i.test(st.code ?? ''))?.message ?? '';
    const phases = stdout
      .split(/\r?\n/)
      .map((l) => /win-k8s: .*$/.exec(l)?.[0].trim())
      .filter((l): l is string => !!l && !seen.has(l))
      .map(scrub);
    const fromStdout = phases.length ? `\n${phases.join('\n')}\n` : '';
    const failed = view?.statuses?.some((st) => /failed/i.test(st.code ?? '') || st.level === 'Error');
    if (!failed) return fromStdout;
    const stderr = view?.substatuses?.find((st) => /StdErr/i.test(st.code ?? ''))?.message ?? '';
    const status = view?.statuses?.find((st) => st.level === 'Error')?.message ?? '';
    if (cutByPlannedRestart(status, serial, stdout)) {
      // Progress: the resume task carries the bootstrap on after the restart, and a later failure
      // shows on COM1. The extension's status stays as it is for good (it never runs again).
      return `${fromStdout}\nwin-k8s: extension ended by the planned restart (the startup task resumes the bootstrap)\n`;
    }
    // The join's report keeps only `win-k8s:` lines (the last 10): every line carries the prefix,
    // and a handful of the extension's last lines leaves room for the serial log's own.
    const lines = [status, stderr].join('\n').split('\n').map((l) => l.trim()).filter(Boolean).slice(-5);
    return `${fromStdout}\n${[`${EXTENSION_NAME}:`, ...lines].map((l) => `win-k8s: extension failed ${scrub(l)}`).join('\n')}\n`;
  }

  private vmRef(instanceId: string): { rg: string; name: string } {
    return vmRef({ rg: () => this.rg() }, instanceId);
  }

  listVms(ref: { cluster: string; pool?: string | undefined }): Promise<ManagedVm[]> {
    return this.run('list the VMs', async (s) => {
      const found = (await listEverywhere(this.ctx(s),'VMs', () => s.compute.virtualMachines.listAll(), (rg) => s.compute.virtualMachines.list(rg))).filter((vm) => {
        const t = vm.tags ?? {};
        return vm.id && t[AZ_TAG_CLUSTER] === ref.cluster && (ref.pool === undefined || t[AZ_TAG_POOL] === ref.pool);
      });
      // The list carries the provisioning state only; whether a VM runs is in its instance view.
      const out: ManagedVm[] = [];
      await forEachBounded(found, 10, async (vm) => {
        const t = vm.tags ?? {};
        let power: string | undefined;
        if (vm.provisioningState !== 'Deleting' && vm.provisioningState !== 'Failed') {
          const { rg, name } = this.vmRef(vm.id!);
          const view = await s.compute.virtualMachines.instanceView(rg, name).catch((err: unknown) => (azureStatus(err) === 404 ? undefined : Promise.reject(err)));
          if (!view) return;
          power = view.statuses?.find((st) => st.code?.startsWith('PowerState/'))?.code?.slice('PowerState/'.length);
        }
        out.push({ instanceId: vm.id!, nodeName: t[AZ_TAG_NODE] ?? vm.name ?? '', pool: t[AZ_TAG_POOL] ?? '', cluster: ref.cluster, state: vmState(vm.provisioningState, power) });
      });
      return out.sort((a, b) => a.nodeName.localeCompare(b.nodeName));
    });
  }

  deleteVms(instanceIds: string[], signal?: AbortSignal): Promise<void> {
    return this.run('delete the VMs', async (s) => {
      const failures: string[] = [];
      await forEachBounded(instanceIds, 10, async (instanceId) => {
        if (signal?.aborted) return;
        const { rg, name } = this.vmRef(instanceId);
        try {
          const vm = await s.compute.virtualMachines.get(rg, name).catch((err: unknown) => (azureStatus(err) === 404 ? undefined : Promise.reject(err)));
          if (vm) {
            this.sink({ level: 'info', message: 'deleting the VM; Azure usually takes a minute or two', subject: name });
            await s.compute.virtualMachines.delete(rg, name, this.lro());
          }
          // deleteOption covers these on current API versions; deleting them again is the safety
          // net for VMs whose deleteOption was not honoured (404 means already gone).
          const nics = vm?.networkProfile?.networkInterfaces?.map((n) => parseArmId(n.id ?? '', 'Microsoft.Network/networkInterfaces')) ?? [];
          for (const nic of nics.length ? nics : [{ resourceGroup: rg, name: `${name}-nic`, subscription: s.subscription }]) {
            if (nic) await ignore404(s.network.networkInterfaces.beginDeleteAndWait(nic.resourceGroup, nic.name, this.lro()));
          }
          await ignore404(s.compute.disks.delete(rg, vm?.storageProfile?.osDisk?.name ?? `${name}-osdisk`, this.lro()));
          this.sink({ level: 'info', message: 'VM, network interface and OS disk deleted', subject: name });
        } catch (err) {
          if (isEnvironmentFailure(err)) throw err;
          failures.push(`${name}: ${vmFailureText(err)}`);
        }
      });
      if (failures.length) throw new OperationError(`could not delete ${failures.length} VM${failures.length === 1 ? '' : 's'}:\n${failures.join('\n')}`, { hint: 'run the same remove again; it deletes what is left' });
    });
  }

  /**
   * VNets of the subscription (the control plane's first; only the location's when it is known)
   * and the VM sizes the location offers.
   */
  wizardChoices(req: PlacementRequest): Promise<WizardChoices> {
    if (req.controlPlane && !this.controlPlane) this.controlPlane = req.controlPlane;
    return this.run('list virtual networks and VM sizes', async (s) => {
      const placement = this.azureControlPlane() || this.opts.subnetId ? await this.resolvePlacement(req).catch(() => undefined) : undefined;
      const location = this.location ?? placement?.region;
      return wizardChoices(this.ctx(s), { placement, location, resourceGroup: this.resourceGroup ?? this.azureControlPlane()?.resourceGroup, vmSize: this.vmSize });
    });
  }

  /**
   * Runs a script through Azure Run Command (RunPowerShellScript). Limits, see run-command.ts:
   * output is the last 4 KB per stream (said in stderr when likely), 90 minutes at most, one at a
   * time per VM, and a started command cannot be cancelled: a timeout or interrupt stops the
   * waiting here, not the script on the VM.
   */
  runPowerShell(instanceId: string, script: string, opts: RunPowerShellOptions): Promise<RunPowerShellResult> {
    return this.run('run the script with Azure Run Command', async (s) => {
      const { rg, name } = this.vmRef(instanceId);
      const lines = runCommandScript(script);
      checkScriptSize(lines);
      if (opts.signal?.aborted) throw new InterruptedError('interrupted before Azure Run Command started');
      const waitMs = Math.min(opts.timeoutMs, RUN_COMMAND_MAX_MS + 5 * 60_000);
      const timeout = AbortSignal.timeout(waitMs);
      const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
      try {
        const result = await s.compute.virtualMachines.beginRunCommandAndWait(rg, name, { commandId: 'RunPowerShellScript', script: lines }, this.lro(signal));
        return parseRunCommandOutput(result.value);
      } catch (err) {
        if (opts.signal?.aborted) throw new InterruptedError(`interrupted while Azure Run Command ran on ${name}; the script may still be running there`);
        if (timeout.aborted) {
          throw new OperationError(`Azure Run Command on ${name} did not finish within ${Math.round(waitMs / 1000)}s`, {
            hint: 'Run Command cannot be cancelled: the script may still be running on the VM (Azure stops it after 90 minutes), and a new one is refused until it ends',
          });
        }
        if (azureErrorCode(err) === 'Conflict') {
          throw new OperationError(`another Run Command is still running on ${name}`, { cause: err, hint: 'Azure runs one at a time per VM; try again when it has finished' });
        }
        throw err;
      }
    });
  }

  /** The pool's NSG, once no VM of the pool is left, and NICs that lost their VM on the way. */
  deletePoolResources(ref: PoolRef): Promise<string[]> {
    return this.run('delete the network security group', async (s) => {
      const ctx = this.ctx(s);
      const left = await this.listVms(ref);
      if (left.length > 0) {
        this.sink({ level: 'info', message: `keeping the network security group of pool ${ref.pool}: ${left.length} VM${left.length === 1 ? '' : 's'} left` });
        return [];
      }
      return [...(await deleteOrphanNics(ctx, ref)), ...(await deletePoolNsgs(ctx, ref))];
    });
  }
}

/**
 * Whether a failed extension status is only the bootstrap's own planned restart. The bootstrap
 * schedules the restart (shutdown /r /t 15) and exits 0, so the extension normally reports
 * success; when Windows goes down before the extension has seen the exit, it reports a failure
 * whose message says the command "may have been interrupted by a VM restart". That, after the
 * restart line (`win-k8s: reboot ...` on COM1, Write-Log's `rebooting: ...` on stdout), is the
 * planned restart. Any other failure, or that message with no planned restart before it (an
 * update or an operator restarted the VM mid-bootstrap), is a failure.
 */
export function cutByPlannedRestart(statusMessage: string, serial: string, stdout: string): boolean {
  if (!/interrupted by a VM restart/i.test(statusMessage)) return false;
  return /win-k8s: reboot /.test(serial) || /^\S+ rebooting: /m.test(stdout);
}

/** The serial log blob is a SAS URL on Azure Storage: no ARM token, same transport as the SDK. */
async function fetchBlob(url: string, httpClient: HttpClient | undefined): Promise<string> {
  const { createDefaultHttpClient, createPipelineRequest } = await import('@azure/core-rest-pipeline');
  const client = httpClient ?? createDefaultHttpClient();
  const res = await client.sendRequest(createPipelineRequest({ url, method: 'GET' }));
  if (res.status !== 200) throw new OperationError(`reading the serial console log failed (HTTP ${res.status})`, { hint: 'boot diagnostics may still be starting; try again in a minute' });
  return res.bodyAsText ?? '';
}
