/**
 * Windows Server AMIs for moto (MOTO_AMIS_PATH replaces moto's built-in list, whose Windows
 * images stop at 2016). Names follow AWS's scheme, "<parameter name>-<date>"; the public SSM
 * parameters /aws/service/ami-windows-latest/<name> point at them (see PUBLIC_PARAMETERS).
 * No creation_date: moto parses it in place on load, so a second load (/moto-api/reset) fails.
 */
export interface MotoAmi {
  ami_id: string;
  name: string;
  description: string;
  owner_id: string;
  public: boolean;
  virtualization_type: 'hvm';
  architecture: 'x86_64' | 'arm64';
  state: 'available';
  platform: 'windows' | null;
  image_type: 'machine';
  hypervisor: 'xen';
  root_device_name: string;
  root_device_type: 'ebs';
  sriov: 'simple';
  image_location: string;
}

const AMAZON_WINDOWS = '801119661308';
const AMAZON_LINUX = '137112412989';

function windows(id: string, parameter: string, description: string): MotoAmi {
  return {
    ami_id: id,
    name: `${parameter}-2025.06.11`,
    description,
    owner_id: AMAZON_WINDOWS,
    public: true,
    virtualization_type: 'hvm',
    architecture: 'x86_64',
    state: 'available',
    platform: 'windows',
    image_type: 'machine',
    hypervisor: 'xen',
    root_device_name: '/dev/sda1',
    root_device_type: 'ebs',
    sriov: 'simple',
    image_location: `amazon/${parameter}-2025.06.11`,
  };
}

/**
 * The AMI of each public parameter name (without the /aws/service/ami-windows-latest/ prefix).
 * No ContainersLatest: AWS stopped publishing those in April 2023, so they are not current.
 */
export const WINDOWS_AMIS = {
  'Windows_Server-2019-English-Full-Base': 'ami-0a1b2c3d4e5f60019',
  'Windows_Server-2019-English-Core-Base': 'ami-0a1b2c3d4e5f61019',
  'Windows_Server-2022-English-Full-Base': 'ami-0a1b2c3d4e5f60022',
  'Windows_Server-2022-English-Core-Base': 'ami-0a1b2c3d4e5f61022',
  'Windows_Server-2025-English-Full-Base': 'ami-0a1b2c3d4e5f60025',
  'Windows_Server-2025-English-Core-Base': 'ami-0a1b2c3d4e5f61025',
} as const;

export const LINUX_AMI = 'ami-0f1e2d3c4b5a60001';

export const PUBLIC_PARAMETER_PREFIX = '/aws/service/ami-windows-latest/';

/** The public SSM parameters the proxy answers, as AWS publishes them. */
export const PUBLIC_PARAMETERS: Record<string, string> = Object.fromEntries(
  Object.entries(WINDOWS_AMIS).map(([name, id]) => [`${PUBLIC_PARAMETER_PREFIX}${name}`, id]),
);

export function motoAmis(): MotoAmi[] {
  const edition = (name: string) => (name.includes('-Core-') ? 'Core' : 'Full');
  const amis = Object.entries(WINDOWS_AMIS).map(([name, id]) =>
    windows(
      id,
      name,
      `Microsoft Windows Server ${/\d{4}/.exec(name)![0]} ${edition(name)} Locale English AMI provided by Amazon${name.includes('Containers') ? ' with Containers' : ''}`,
    ),
  );
  amis.push({
    ...windows(LINUX_AMI, 'al2023-ami-2023.7.20250609.0-kernel-6.1-x86_64', 'Amazon Linux 2023 AMI 2023.7.20250609.0 x86_64 HVM kernel-6.1'),
    name: 'al2023-ami-2023.7.20250609.0-kernel-6.1-x86_64',
    owner_id: AMAZON_LINUX,
    platform: null,
    root_device_name: '/dev/xvda',
    image_location: 'amazon/al2023-ami-2023.7.20250609.0-kernel-6.1-x86_64',
  });
  return amis;
}
