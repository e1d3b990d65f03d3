import { UsageError } from '../../errors.js';
import { WINDOWS_RELEASES } from '../../compat/windows.js';
import type { ImageRequest, ResolvedImage } from '../provider.js';

export type ImageReference =
  | { kind: 'marketplace'; publisher: string; offer: string; sku: string; version: string }
  | { kind: 'id'; id: string };

const URN = /^([A-Za-z0-9][A-Za-z0-9._-]*):([A-Za-z0-9][A-Za-z0-9._-]*):([A-Za-z0-9][A-Za-z0-9._-]*):(latest|\d+\.\d+\.\d+)$/;
const GALLERY = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Compute\/galleries\/[^/]+\/images\/[^/]+(\/versions\/[^/]+)?$/i;
const MANAGED_IMAGE = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Compute\/images\/[^/]+$/i;

/** `id` of a ResolvedImage: a URN or an ARM id; parsed back when the VM is created. */
export function parseImage(image: string): ImageReference | undefined {
  const m = URN.exec(image);
  if (m) return { kind: 'marketplace', publisher: m[1]!, offer: m[2]!, sku: m[3]!, version: m[4]! };
  if (GALLERY.test(image) || MANAGED_IMAGE.test(image)) return { kind: 'id', id: image };
  return undefined;
}

export function resolveImage(req: ImageRequest): ResolvedImage {
  if (req.image !== undefined) {
    if (!parseImage(req.image)) {
      throw new UsageError(`"${req.image}" is neither an image URN nor a gallery or managed image id`, {
        field: '--image',
        hint: 'give publisher:offer:sku:version (e.g. MicrosoftWindowsServer:WindowsServer:2022-datacenter-g2:latest) or /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Compute/galleries/<g>/images/<image>',
      });
    }
    // A custom image may have anything installed; assuming the feature is missing costs one reboot at most.
    return { id: req.image, name: req.image, containersPreinstalled: false };
  }
  // Marketplace SKUs of MicrosoftWindowsServer:WindowsServer: the release table's Azure column.
  const sku = WINDOWS_RELEASES[req.windowsVersion].images.azure[req.edition];
  const id = `MicrosoftWindowsServer:WindowsServer:${sku}:latest`;
  return { id, name: `Windows Server ${req.windowsVersion} Datacenter${req.edition === 'core' ? ' Core' : ''} (${sku})`, containersPreinstalled: false };
}

export function imageReference(id: string): { publisher: string; offer: string; sku: string; version: string } | { id: string } {
  const ref = parseImage(id);
  if (!ref) throw new UsageError(`"${id}" is not an image URN or id`, { field: '--image' });
  return ref.kind === 'id' ? { id: ref.id } : { publisher: ref.publisher, offer: ref.offer, sku: ref.sku, version: ref.version };
}

/**
 * The OS disk size of an image, where it is known without asking ARM: Windows Server marketplace
 * images are 127 GiB, their smalldisk SKUs 30 GiB (`az vm image show --urn <urn> --query
 * osDiskImage.sizeInGb`). The SDK's VirtualMachineImage model drops sizeInGb and `latest` has no
 * image to read, so the documented sizes stand in. Gallery, managed and other publishers' images:
 * unknown here; ARM refuses a smaller explicit size with OperationNotAllowed.
 */
export function knownOsDiskGb(id: string): number | undefined {
  const ref = parseImage(id);
  if (ref?.kind !== 'marketplace' || ref.publisher.toLowerCase() !== 'microsoftwindowsserver') return undefined;
  return /smalldisk/i.test(ref.sku) ? 30 : 127;
}
