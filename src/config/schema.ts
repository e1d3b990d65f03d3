import type * as zt from 'zod';
import { array, boolean, config, enum as enum_, literal, number, object, preprocess, record, string } from 'zod';

// A CLI validates one document per run: zod's compiled (new Function) object parsers cost more to
// build than they save on a single parse.
config({ jitless: true });

// Named imports, not the `z` namespace: the namespace drags every zod locale into the bundle
// (450 KB instead of 90 KB), and compiling it is most of `render`'s start-up time.
const z = { array, boolean, enum: enum_, literal, number, object, preprocess, record, string };
import {
  CA_CERT_HASH,
  KUBEADM_TOKEN,
  SEMVER,
  checkCidr,
  checkNodeLabel,
  checkNodeName,
  checkPoolName,
  checkProxyUrl,
  checkTaint,
  normaliseApiServer,
} from './validators.js';
import { durationProblem, parseDuration, type DurationRule } from './duration.js';
import { joinOptions, joinValueOptions } from './options.js';
import { ARTIFACT_NAMES } from '../compat/artifacts.js';
import { DEFAULT_WINDOWS_VERSION, WINDOWS_VERSIONS } from '../compat/windows.js';
import { checkAdminSource } from './cidr.js';
import { checkRequestTimeout } from './request-timeout.js';

/**
 * The schema of win-k8s.yaml. Flags and WIN_K8S_* variables are mapped onto the same paths
 * (src/config/options.ts), so every value, wherever it came from, passes these rules.
 * Objects are strict: a misspelt field is an error, never silently ignored.
 */

const refine = (check: (v: string) => string | undefined) => (value: string, ctx: zt.RefinementCtx) => {
  const message = check(value);
  if (message) ctx.addIssue({ code: 'custom', message });
};

const version = (what: string) =>
  z
    .string({ error: `expected a ${what} version such as 1.33.2` })
    .regex(SEMVER, { error: `expected a ${what} version x.y.z, e.g. 1.33.2` })
    .transform((v) => v.replace(/^v/, ''));

export const WindowsVersion = z.enum(WINDOWS_VERSIONS, { error: `expected one of ${WINDOWS_VERSIONS.join(', ')}` });
export const Runtime = z.enum(['containerd', 'docker'], { error: 'expected containerd or docker' });
export const Cni = z.enum(['flannel', 'calico', 'none'], { error: 'expected flannel, calico or none' });
export const Edition = z.enum(['core', 'full'], { error: 'expected core or full' });
export const Cloud = z.enum(['aws', 'azure', 'gcp'], { error: 'expected aws, azure or gcp' });

const cidr = z.string().superRefine(refine(checkCidr));

/** A duration ("90s", "1h30m") as milliseconds, by the one parser and with the flag's range. */
const duration = (rule: DurationRule) =>
  z.string().transform((v, ctx) => {
    const problem = durationProblem(v, rule);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
    return parseDuration(v, rule) ?? 0;
  });

export const ClusterSection = z
  .object({
    name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { error: 'expected a lowercase RFC 1123 name' }).max(40).optional(),
    apiServer: z.string().transform((v, ctx) => {
      const r = normaliseApiServer(v);
      if (r.error) ctx.addIssue({ code: 'custom', message: r.error });
      return r.value ?? v;
    }).optional(),
    token: z.string().regex(KUBEADM_TOKEN, { error: 'expected a kubeadm bootstrap token: 6 then 16 characters of [a-z0-9], joined by "." (value not shown)' }).optional(),
    caCertHash: z
      .string()
      .transform((v) => v.toLowerCase())
      .pipe(z.string().regex(CA_CERT_HASH, { error: 'expected sha256:<64 hex digits> (kubeadm\'s --discovery-token-ca-cert-hash)' }))
      .optional(),
    tokenTtl: duration(joinValueOptions.tokenTtl.duration)
      .transform((ms) => Math.round(ms / 1000))
      .default(1800),
    serviceCidr: cidr.optional(),
    podCidr: cidr.optional(),
  })
  .strict();

export const PoolSection = z
  .object({
    name: z.string().superRefine(refine(checkPoolName)).default('win'),
    count: z.number({ error: 'expected an integer >= 1' }).int({ error: 'expected an integer >= 1' }).min(1, { error: 'expected an integer >= 1' }).max(500, { error: 'expected at most 500' }).default(1),
    windowsVersion: z.preprocess((v) => (typeof v === 'number' ? String(v) : v), WindowsVersion).default(DEFAULT_WINDOWS_VERSION),
    edition: Edition.default('core'),
    kubernetesVersion: version('Kubernetes').optional(),
    runtime: Runtime.default('containerd'),
    cni: Cni.default('flannel'),
    containerdVersion: version('containerd').optional(),
    dockerVersion: version('Docker').optional(),
    hypervIsolation: z.boolean({ error: 'expected true or false' }).default(false),
    taintWindows: z.boolean({ error: 'expected true or false' }).default(false),
    image: z.string().min(1).optional(),
    instanceType: z.string().regex(/^[A-Za-z0-9._-]+$/, { error: 'expected an instance type / VM size / machine type name' }).optional(),
    diskSizeGb: z.number({ error: 'expected an integer number of GiB' }).int().min(40, { error: 'Windows Server needs at least 40 GiB' }).max(65536, { error: 'at most 65536 GiB (64 TiB, a Compute Engine disk; AWS gp3 takes 16384, an Azure OS disk 4095)' }).optional(),
    region: z.string().regex(/^[a-z0-9-]+$/, { error: 'expected a region such as us-east-1' }).optional(),
    subnetId: z.string().min(1).optional(),
    // Parsed, not string-matched: 0.0.0.0/1 and 0.0.0.0/00 open RDP to half and all of IPv4.
    allowRdpFrom: z.string().superRefine(refine((v) => checkCidr(v) ?? checkAdminSource(v))).optional(),
    labels: z
      .record(z.string(), z.string({ error: 'label values must be strings' }))
      .superRefine((labels, ctx) => {
        for (const [k, v] of Object.entries(labels)) {
          const message = checkNodeLabel(k, v);
          if (message) ctx.addIssue({ code: 'custom', message, path: [k] });
        }
      })
      .default({}),
    taints: z.array(z.string().superRefine(refine(checkTaint))).default([]),
    allowUnsupported: z.boolean({ error: 'expected true or false' }).default(false),
    checksums: z
      .record(z.string(), z.string())
      .superRefine((sums, ctx) => {
        for (const [name, sha] of Object.entries(sums)) {
          if (!(ARTIFACT_NAMES as readonly string[]).includes(name)) {
            ctx.addIssue({ code: 'custom', path: [name], message: `unknown artifact "${name}"; expected one of ${ARTIFACT_NAMES.join(', ')}` });
          } else if (!/^[a-fA-F0-9]{64}$/.test(sha)) {
            ctx.addIssue({ code: 'custom', path: [name], message: `expected a SHA-256 of 64 hex digits` });
          }
        }
      })
      .default({}),
  })
  .strict();

export const AwsSection = z
  .object({
    instanceProfile: z.string().min(1).optional(),
    externalIp: z.boolean({ error: 'expected true or false' }).default(false),
    controlPlaneGroups: z.boolean({ error: 'expected true or false' }).default(false),
  })
  .strict();

export const AzureSection = z
  .object({
    subscription: z.string().regex(/^[0-9a-fA-F-]{36}$/, { error: 'expected a subscription id (a GUID)' }).optional(),
    resourceGroup: z.string().regex(/^[-\w._()]{1,90}$/, { error: 'expected a resource group name (1-90 letters, digits, - _ . ( ))' }).optional(),
    location: z.string().regex(/^[a-z0-9]+$/, { error: 'expected an Azure location such as westeurope' }).optional(),
    adminPasswordFile: z.string().min(1).optional(),
    diskType: z.enum(['Premium_LRS', 'StandardSSD_LRS', 'Standard_LRS', 'Premium_ZRS', 'StandardSSD_ZRS'], { error: 'expected Premium_LRS, StandardSSD_LRS, Standard_LRS, Premium_ZRS or StandardSSD_ZRS' }).optional(),
    endpoint: z.string().regex(/^https:\/\//, { error: 'expected an https:// ARM endpoint' }).optional(),
  })
  .strict();

export const GcpSection = z
  .object({
    project: z.string().regex(/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/, { error: 'expected a GCP project id' }).optional(),
    zone: z.string().regex(/^[a-z]+-[a-z]+\d+-[a-z]$/, { error: 'expected a zone such as europe-west1-b' }).optional(),
    externalIp: z.boolean({ error: 'expected true or false' }).default(false),
    diskType: z.enum(['pd-balanced', 'pd-ssd', 'pd-standard', 'hyperdisk-balanced'], { error: 'expected pd-balanced, pd-ssd, pd-standard or hyperdisk-balanced' }).optional(),
  })
  .strict();

export const ProxySection = z
  .object({
    http: z.string().superRefine(refine(checkProxyUrl)).optional(),
    https: z.string().superRefine(refine(checkProxyUrl)).optional(),
    noProxy: z.array(z.string().min(1)).default([]),
  })
  .strict();

export const ConfigFile = z
  .object({
    apiVersion: z.literal('win-k8s.io/v1alpha1', { error: 'expected win-k8s.io/v1alpha1' }).optional(),
    kind: z.literal('Config', { error: 'expected Config' }).optional(),
    kubeconfig: z.string().optional(),
    context: z.string().optional(),
    // YAML reads `requestTimeout: 0` as a number.
    requestTimeout: z.preprocess((v) => (typeof v === 'number' ? String(v) : v), z.string().superRefine(refine(checkRequestTimeout))).optional(),
    output: z.enum(['human', 'json'], { error: 'expected human or json' }).optional(),
    cloud: Cloud.optional(),
    cluster: ClusterSection.prefault({}),
    pool: PoolSection.default(PoolSection.parse({})),
    proxy: ProxySection.default({ noProxy: [] }),
    aws: AwsSection.prefault({}),
    azure: AzureSection.prefault({}),
    gcp: GcpSection.prefault({}),
  })
  .strict();

export type ConfigFile = zt.output<typeof ConfigFile>;
export type ConfigFileInput = zt.input<typeof ConfigFile>;

/** Render-only values: one node, not a pool. */
export const RenderSection = z
  .object({
    nodeName: z.string().superRefine(refine(checkNodeName)),
    createToken: z.boolean().default(false),
    compress: z.boolean().default(false),
    outputFile: z.string().optional(),
  })
  .strict();


/** Options of one run of join/provision, not stored in win-k8s.yaml. */
export const JoinCommandSection = z
  .object({
    dryRun: z.boolean().default(false),
    concurrency: z.number().int().min(1, { error: 'expected an integer >= 1' }).max(100, { error: 'at most 100' }).default(10),
    timeout: duration(joinOptions.timeout.duration).default(20 * 60_000),
    onFailure: z.enum(['keep', 'delete'], { error: 'expected keep or delete' }).default('keep'),
  })
  .strict();
