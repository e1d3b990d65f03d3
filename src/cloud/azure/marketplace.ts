import { UsageError } from '../../errors.js';
import { azureStatus } from './errors.js';
import { parseImage } from './images.js';
import type { AzureContext } from './session.js';

/**
 * A marketplace image (publisher:offer:sku:version) must be published in the location the VMs
 * go to: SKUs differ by location, and ARM refuses a VM whose image is not there only after the
 * NSG and its NIC exist. Gallery and managed image ids are not marketplace images: not checked.
 * `explicit`: the image came from --image (else from --windows-version and --edition).
 */
export async function assertMarketplaceImageIn(ctx: AzureContext, imageId: string, location: string, explicit: boolean): Promise<void> {
  const ref = parseImage(imageId);
  if (ref?.kind !== 'marketplace') return;
  const field = explicit ? '--image' : '--windows-version';
  const urn = `${ref.publisher}:${ref.offer}:${ref.sku}`;
  let versions: string[];
  try {
    versions = (await ctx.s.compute.virtualMachineImages.list(location, ref.publisher, ref.offer, ref.sku)).map((v) => v.name);
  } catch (err) {
    if (azureStatus(err) !== 404) throw err;
    versions = [];
  }
  // A SKU can be listed with no version at all: no VM can be made from it either.
  if (versions.length === 0) {
    throw new UsageError(`image ${urn} is not offered in ${location}`, {
      field,
      hint: `${explicit ? 'choose an image' : 'choose a --windows-version or --edition'} offered there (\`az vm image list --location ${location} --publisher ${ref.publisher} --offer ${ref.offer} --sku ${ref.sku} --all\`), or another --location`,
    });
  }
  if (ref.version !== 'latest' && !versions.includes(ref.version)) {
    throw new UsageError(`image ${urn} has no version ${ref.version} in ${location}`, {
      field: '--image',
      hint: `use ${urn}:latest or one of the versions there: ${versions.slice(-3).join(', ')}`,
    });
  }
}
