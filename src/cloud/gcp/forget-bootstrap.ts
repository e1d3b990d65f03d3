import { randomUUID } from 'node:crypto';
import { OperationError } from '../../errors.js';
import { forEachBounded } from '../../util/bounded.js';
import { describeOperationError, isStaleFingerprint, toWinK8sError } from './errors.js';
import { findInstance } from './instances.js';
import { SCRIPT_KEY } from './metadata.js';
import { LABEL_CLUSTER } from './labels.js';
import { opError, waitOperation, type GceContext, type Operation, type Scope } from './operations.js';

/** setMetadata attempts per instance when another writer keeps changing the fingerprint. */
const FINGERPRINT_ATTEMPTS = 5;

/**
 * Takes windows-startup-script-ps1 (the bootstrap, with the join token) out of the instances'
 * metadata, where anything on the VM can read it from the metadata server for the VM's whole
 * life. setMetadata replaces the whole list and takes only the current fingerprint, so each
 * instance is read, its other keys written back unchanged, and a fingerprint that went stale
 * in between (the guest agent writes keys too) is read again and retried.
 */
export async function forgetBootstrap(ctx: GceContext, s: Scope, instanceIds: string[]): Promise<void> {
  const failures: string[] = [];
  await forEachBounded([...new Set(instanceIds)], 10, async (name) => {
    try {
      await forgetOne(ctx, s, name);
    } catch (err) {
      failures.push(`${name}: ${toWinK8sError(err, { action: 'compute.instances.setMetadata', project: s.project, zone: s.zone }).message}`);
    }
  });
  if (failures.length > 0) {
    throw new OperationError(`could not remove the bootstrap from the metadata of ${failures.length} instance${failures.length === 1 ? '' : 's'}:\n${failures.join('\n')}`, {
      hint: `remove it by hand: \`gcloud compute instances remove-metadata <instance> --zone ${s.zone} --keys ${SCRIPT_KEY}\``,
    });
  }
}

async function forgetOne(ctx: GceContext, s: Scope, name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const instance = await findInstance(ctx, s, name);
    if (!instance) return;
    if (!instance.labels?.[LABEL_CLUSTER]) throw new OperationError(`instance ${name} was not created by win-k8s (no ${LABEL_CLUSTER} label); its metadata is left alone`);
    const items = instance.metadata?.items ?? [];
    if (!items.some((i) => i.key === SCRIPT_KEY)) return;
    const fingerprint = instance.metadata?.fingerprint ?? undefined;
    const metadataResource = { ...(fingerprint ? { fingerprint } : {}), items: items.filter((i) => i.key !== SCRIPT_KEY).map((i) => ({ key: i.key, value: i.value })) };
    try {
      const requestId = randomUUID();
      const [lro] = await ctx.call('compute.instances.setMetadata', (c) => c.instances.setMetadata({ project: s.project, zone: s.zone, instance: name, requestId, metadataResource }));
      const done = await waitOperation(ctx, (lro as { latestResponse?: Operation }).latestResponse, s, 'zone');
      const error = opError(done);
      if (error) throw new OperationError(describeOperationError(error, { zone: s.zone }).message);
      ctx.sink({ level: 'debug', subject: name, message: `${SCRIPT_KEY} removed from the metadata of ${name}` });
      return;
    } catch (err) {
      if (!isStaleFingerprint(err) || attempt >= FINGERPRINT_ATTEMPTS) throw err;
      ctx.sink({ level: 'debug', subject: name, message: `metadata of ${name} changed while it was updated (stale fingerprint); reading it again` });
    }
  }
}
