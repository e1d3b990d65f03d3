import type { VirtualMachine } from '@azure/arm-compute';
import type { CreateVmsRequest, ManagedVm, VmResult } from '../provider.js';
import { OperationError } from '../../errors.js';
import { forEachBounded } from '../../util/bounded.js';
import { PasswordFile, generateAdminPassword } from './admin-password.js';
import { azureBootstrap } from './custom-data.js';
import { azureErrorCode, azureStatus, isEnvironmentFailure, vmFailureText } from './errors.js';
import { EXTENSION_NAME, bootstrapExtension } from './extension.js';
import { nicModel, nodeNicName } from './network-interface.js';
import { ignore404, listEverywhere } from './operations.js';
import { parseArmId, vmRef, type AzureContext } from './session.js';
import { AZ_TAG_CLUSTER, AZ_TAG_NODE, AZ_TAG_POOL, nodeTags } from './tags.js';
import { ADMIN_USER, checkComputerName, osDiskGb, osDiskName, vmModel } from './vm-model.js';

export interface VmOptions {
  vmSize: string;
  /** --disk-size; undefined: the image's own size. */
  diskSizeGb?: number | undefined;
  diskType?: string | undefined;
  adminPasswordFile?: string | undefined;
  /** Told of each VM whose extension command carries a bootstrap token. */
  onTokenBearing(instanceId: string): void;
}

export async function createVms(ctx: AzureContext, opts: VmOptions, req: CreateVmsRequest): Promise<VmResult[]> {
  const rg = ctx.rg();
  const results: VmResult[] = req.vms.map((v) => ({ nodeName: v.nodeName }));
  if (req.vms.length === 0) return results;
  const diskGb = osDiskGb(req.image.id, opts.diskSizeGb);
  if (opts.diskSizeGb === undefined) {
    ctx.sink({ level: 'info', message: `OS disk: ${diskGb !== undefined ? `${diskGb} GiB, ` : ''}the image's own size (--disk-size asks for more)` });
  }
  const passwords = opts.adminPasswordFile ? await PasswordFile.open(opts.adminPasswordFile) : undefined;
  try {
    await createAll(ctx, opts, rg, req, results, diskGb, passwords);
  } finally {
    await passwords?.close();
  }
  if (passwords && passwords.written > 0) {
    ctx.sink({ level: 'info', message: `the ${ADMIN_USER} password of ${passwords.written} VM${passwords.written === 1 ? '' : 's'} appended to ${passwords.path} (one "<node><TAB><password>" line each)` });
  }
  return results;
}

async function createAll(ctx: AzureContext, opts: VmOptions, rg: string, req: CreateVmsRequest, results: VmResult[], diskGb: number | undefined, passwords: PasswordFile | undefined): Promise<void> {
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
      await createOne(ctx, opts, rg, req, vm.nodeName, vm.script, diskGb, passwords, result);
      result.provisionSeconds = Math.round((Date.now() - started) / 100) / 10;
      ctx.sink({ level: 'success', message: `VM created (${result.privateIp ?? 'no IP yet'})`, subject: vm.nodeName });
    } catch (err) {
      if (isEnvironmentFailure(err)) fatal ??= err;
      result.error = vmFailureText(err);
      ctx.sink({ level: 'error', message: result.error, subject: vm.nodeName });
    }
  });
  if (fatal !== undefined && results.every((r) => r.error)) throw fatal;
}

/** Fills `result` as it goes: a VM that exists but failed keeps its instanceId for --on-failure. */
async function createOne(ctx: AzureContext, opts: VmOptions, rg: string, req: CreateVmsRequest, nodeName: string, script: string, diskGb: number | undefined, passwords: PasswordFile | undefined, result: VmResult): Promise<void> {
  checkComputerName(nodeName);
  // The token goes in the extension's protectedSettings, never in customData.
  const { customData, commandToExecute, carriesToken } = azureBootstrap(nodeName, script);
  // One per VM: a password file line then belongs to exactly one VM, and one leaked password opens one node.
  const password = generateAdminPassword();
  const tags = nodeTags(req.ref, nodeName);
  const location = req.placement.region;
  const nicName = nodeNicName(nodeName);
  const diskName = osDiskName(nodeName);
  const nic = await ctx.s.network.networkInterfaces.beginCreateOrUpdateAndWait(
    rg,
    nicName,
    nicModel({ location, tags, nsgId: req.firewall.id, subnetId: req.placement.subnetId }),
    ctx.lro(),
  );
  ctx.sink({ level: 'debug', message: `network interface ${nicName} created`, subject: nodeName });
  const model = vmModel({
    nodeName,
    location,
    tags,
    vmSize: opts.vmSize,
    imageId: req.image.id,
    diskGb,
    diskType: opts.diskType,
    adminPassword: password,
    customData,
    nicId: nic.id!,
  });
  let created: VirtualMachine;
  try {
    if (req.signal.aborted) throw new OperationError('not created: interrupted');
    const poller = ctx.s.compute.virtualMachines.createOrUpdate(rg, nodeName, model, ctx.lro());
    await poller.submitted();
    // Accepted: the VM exists with this password from now on, even if provisioning fails later.
    await passwords?.append(nodeName, password).catch((err: unknown) => {
      ctx.sink({ level: 'warn', message: `could not write the admin password to ${passwords.path} (${(err as NodeJS.ErrnoException).code ?? 'error'}); reset it with \`az vm user update\` if you need RDP`, subject: nodeName });
    });
    ctx.sink({ level: 'info', message: 'VM create accepted by Azure; provisioning usually takes a few minutes', subject: nodeName });
    created = await poller;
  } catch (err) {
    // A VM refused at once (quota, validation) leaves the NIC orphaned, and the NIC would keep
    // the pool's NSG in use. A VM that failed later (AllocationFailed) exists in state Failed
    // with its NIC and disk: its id goes back with the error, so --on-failure applies to it and
    // remove finds it by its tags.
    const failed = await ctx.s.compute.virtualMachines.get(rg, nodeName).catch(() => undefined);
    if (failed?.id) result.instanceId = failed.id;
    else {
      await ignore404(ctx.s.network.networkInterfaces.beginDeleteAndWait(rg, nicName, ctx.lro())).catch((cleanup: unknown) => {
        ctx.sink({ level: 'warn', message: `could not delete network interface ${nicName} (${azureErrorCode(cleanup)}); \`win-k8s remove\` retries it`, subject: nodeName });
      });
    }
    throw err;
  }
  // The OS disk is created by the VM and does not inherit its tags: tag it so list/remove and
  // cost reports find it. A failure here costs only the tag, so it warns.
  try {
    await ctx.s.compute.disks.update(rg, created.storageProfile?.osDisk?.name ?? diskName, { tags }, ctx.lro());
  } catch (err) {
    ctx.sink({ level: 'warn', message: `could not tag OS disk ${diskName}: ${azureErrorCode(err)}`, subject: nodeName });
  }
  const poller = ctx.s.compute.virtualMachineExtensions.createOrUpdate(rg, nodeName, EXTENSION_NAME, bootstrapExtension({ location, tags, commandToExecute }), ctx.lro());
  // The bootstrap runs for minutes and reboots: the join watches the node, not the extension.
  await poller.submitted();
  const privateIp = nic.ipConfigurations?.[0]?.privateIPAddress;
  result.instanceId = created.id ?? nodeName;
  if (carriesToken) opts.onTokenBearing(result.instanceId);
  if (privateIp) result.privateIp = privateIp;
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

export async function listVms(ctx: AzureContext, ref: { cluster: string; pool?: string | undefined }): Promise<ManagedVm[]> {
  const found = (await listEverywhere(ctx,'VMs', () => ctx.s.compute.virtualMachines.listAll(), (rg) => ctx.s.compute.virtualMachines.list(rg))).filter((vm) => {
    const t = vm.tags ?? {};
    return vm.id && t[AZ_TAG_CLUSTER] === ref.cluster && (ref.pool === undefined || t[AZ_TAG_POOL] === ref.pool);
  });
  // The list carries the provisioning state only; whether a VM runs is in its instance view.
  const out: ManagedVm[] = [];
  await forEachBounded(found, 10, async (vm) => {
    const t = vm.tags ?? {};
    let power: string | undefined;
    if (vm.provisioningState !== 'Deleting' && vm.provisioningState !== 'Failed') {
      const { rg, name } = vmRef(ctx, vm.id!);
      const view = await ctx.s.compute.virtualMachines.instanceView(rg, name).catch((err: unknown) => (azureStatus(err) === 404 ? undefined : Promise.reject(err)));
      if (!view) return;
      power = view.statuses?.find((st) => st.code?.startsWith('PowerState/'))?.code?.slice('PowerState/'.length);
    }
    out.push({ instanceId: vm.id!, nodeName: t[AZ_TAG_NODE] ?? vm.name ?? '', pool: t[AZ_TAG_POOL] ?? '', cluster: ref.cluster, state: vmState(vm.provisioningState, power) });
  });
  return out.sort((a, b) => a.nodeName.localeCompare(b.nodeName));
}

export async function deleteVms(ctx: AzureContext, instanceIds: string[], signal?: AbortSignal): Promise<void> {
  const failures: string[] = [];
  await forEachBounded(instanceIds, 10, async (instanceId) => {
    if (signal?.aborted) return;
    const { rg, name } = vmRef(ctx, instanceId);
    try {
      const vm = await ctx.s.compute.virtualMachines.get(rg, name).catch((err: unknown) => (azureStatus(err) === 404 ? undefined : Promise.reject(err)));
      if (vm) {
        ctx.sink({ level: 'info', message: 'deleting the VM; Azure usually takes a minute or two', subject: name });
        await ctx.s.compute.virtualMachines.delete(rg, name, ctx.lro());
      }
      // deleteOption covers these on current API versions; deleting them again is the safety
      // net for VMs whose deleteOption was not honoured (404 means already gone).
      const nics = vm?.networkProfile?.networkInterfaces?.map((n) => parseArmId(n.id ?? '', 'Microsoft.Network/networkInterfaces')) ?? [];
      for (const nic of nics.length ? nics : [{ resourceGroup: rg, name: `${name}-nic`, subscription: ctx.s.subscription }]) {
        if (nic) await ignore404(ctx.s.network.networkInterfaces.beginDeleteAndWait(nic.resourceGroup, nic.name, ctx.lro()));
      }
      await ignore404(ctx.s.compute.disks.delete(rg, vm?.storageProfile?.osDisk?.name ?? `${name}-osdisk`, ctx.lro()));
      ctx.sink({ level: 'info', message: 'VM, network interface and OS disk deleted', subject: name });
    } catch (err) {
      if (isEnvironmentFailure(err)) throw err;
      failures.push(`${name}: ${vmFailureText(err)}`);
    }
  });
  if (failures.length) throw new OperationError(`could not delete ${failures.length} VM${failures.length === 1 ? '' : 's'}:\n${failures.join('\n')}`, { hint: 'run the same remove again; it deletes what is left' });
}
