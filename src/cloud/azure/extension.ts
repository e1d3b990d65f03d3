import type { VirtualMachineExtension } from '@azure/arm-compute';
import { OperationError } from '../../errors.js';
import { forEachBounded } from '../../util/bounded.js';
import { isEnvironmentFailure, vmFailureText } from './errors.js';
import { ignore404 } from './operations.js';
import { vmRef, type AzureContext } from './session.js';

export const EXTENSION_NAME = 'win-k8s-bootstrap';

/** The Custom Script Extension that starts the bootstrap: desired state only, no call. */
export function bootstrapExtension(p: { location: string; tags: Record<string, string>; commandToExecute: string }): VirtualMachineExtension {
  return {
    location: p.location,
    tags: p.tags,
    publisher: 'Microsoft.Compute',
    typePropertiesType: 'CustomScriptExtension',
    typeHandlerVersion: '1.10',
    autoUpgradeMinorVersion: true,
    // Encrypted to the VM; ARM never returns protectedSettings.
    protectedSettings: { commandToExecute: p.commandToExecute },
  };
}

/**
 * Once a VM's join is over its extension goes: the extension's command, kept in ARM's model and
 * (encrypted to the VM) among the extension's settings on the VM, carries the bootstrap token.
 * The bootstrap is not the extension's any more by then (after the features restart the resume
 * task runs it), and its lines stay on COM1; the extension's status goes with it.
 */
export async function deleteBootstrapExtensions(ctx: AzureContext, ids: string[], onDeleted: (id: string) => void): Promise<void> {
  const failures: string[] = [];
  await forEachBounded(ids, 10, async (id) => {
    const { rg, name } = vmRef(ctx, id);
    try {
      await ignore404(ctx.s.compute.virtualMachineExtensions.delete(rg, name, EXTENSION_NAME, ctx.lro()));
      onDeleted(id);
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
}
