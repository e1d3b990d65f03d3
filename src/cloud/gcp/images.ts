import { OperationError, UsageError } from '../../errors.js';
import { listVersions, WINDOWS_RELEASES, WINDOWS_VERSIONS } from '../../compat/windows.js';
import type { ImageRequest, ResolvedImage } from '../provider.js';
import type { protos } from './clients.js';
import { isNotFound } from './errors.js';
import { lastSegment } from './names.js';
import type { GceContext } from './operations.js';

export const WINDOWS_IMAGE_PROJECT = 'windows-cloud';

type Image = protos.google.cloud.compute.v1.IImage;

export interface ImageDetails extends ResolvedImage {
  /** The image's disk size: the boot disk may not be smaller. */
  diskSizeGb?: number | undefined;
}

/** An explicit --image: projects/<p>/global/images/<name> or .../family/<family> (a full URL works too). */
export function parseImageRef(explicit: string): { project: string; family: boolean; name: string } {
  const m = /(?:^|\/)projects\/([^/]+)\/global\/images\/(?:(family)\/)?([^/]+)$/.exec(explicit);
  if (!m) {
    throw new UsageError(`"${explicit}" is not a Compute Engine image`, { field: '--image', hint: 'give projects/<project>/global/images/<name> or projects/<project>/global/images/family/<family>' });
  }
  const [, project, family, name] = m as unknown as [string, string, string | undefined, string];
  return { project, family: family !== undefined, name };
}

/** The windows-cloud image family of a Windows version and edition: the release table's GCP column. */
export function imageFamily(windowsVersion: ImageRequest['windowsVersion'], edition: ImageRequest['edition']): string {
  const families = WINDOWS_RELEASES[windowsVersion].images.gcp;
  if ('notOffered' in families) {
    const offered = WINDOWS_VERSIONS.filter((v) => !('notOffered' in WINDOWS_RELEASES[v].images.gcp));
    throw new UsageError(`Windows Server ${windowsVersion} is not offered on Compute Engine by win-k8s: ${families.notOffered}`, { field: '--windows-version', hint: `use ${listVersions(offered)}` });
  }
  return families[edition];
}

export function isWindowsImage(image: Image): boolean {
  return (image.guestOsFeatures ?? []).some((f) => f.type === 'WINDOWS') || (image.licenses ?? []).some((l) => l.includes('/windows-cloud/'));
}

export async function resolveImage(ctx: GceContext, req: ImageRequest, explicit: string | undefined): Promise<ImageDetails> {
  let image: Image;
  if (explicit) {
    const ref = parseImageRef(explicit);
    image = await getImage(ctx, ref.project, ref.name, ref.family, '--image');
    if (!isWindowsImage(image)) throw new UsageError(`image ${image.name ?? ref.name} is not a Windows image`, { field: '--image', hint: 'use a Windows Server image (project windows-cloud, or one built from it)' });
  } else {
    const family = imageFamily(req.windowsVersion, req.edition);
    image = await getImage(ctx, WINDOWS_IMAGE_PROJECT, family, true, '--windows-version');
  }
  if (image.status && image.status !== 'READY') throw new OperationError(`image ${image.name ?? ''} is ${image.status}, not READY`, { hint: 'choose another image or wait until it is ready' });
  const id = image.selfLink ?? '';
  if (!id) throw new OperationError('Compute Engine returned an image without a selfLink');
  ctx.sink({ level: 'debug', message: `image ${image.name ?? id} (${image.family ?? 'no family'})` });
  return {
    id,
    name: image.name ?? lastSegment(id),
    containersPreinstalled: false,
    ...(image.diskSizeGb !== undefined && image.diskSizeGb !== null ? { diskSizeGb: Number(image.diskSizeGb) } : {}),
  };
}

async function getImage(ctx: GceContext, project: string, nameOrFamily: string, family: boolean, field: string): Promise<Image> {
  try {
    const [image] = family
      ? await ctx.call('compute.images.getFromFamily', (c) => c.images.getFromFamily({ project, family: nameOrFamily }))
      : await ctx.call('compute.images.get', (c) => c.images.get({ project, image: nameOrFamily }));
    return image;
  } catch (err) {
    if (isNotFound(err)) {
      throw new UsageError(`no image ${family ? 'in family ' : ''}${nameOrFamily} in project ${project}`, { field, cause: err, hint: '`gcloud compute images list --project windows-cloud --no-standard-images` lists the Windows images' });
    }
    throw err;
  }
}
