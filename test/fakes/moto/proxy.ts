import { request as httpRequest, createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeInstanceTypesCommand, DescribeSecurityGroupsCommand, type _InstanceType } from '@aws-sdk/client-ec2';
import { PUBLIC_PARAMETERS, PUBLIC_PARAMETER_PREFIX } from './amis.js';
import { motoEc2 } from './seed.js';

/**
 * A wire-level proxy in front of moto for what moto does not do:
 *  - answers AWS's public SSM parameters (/aws/service/ami-windows-latest/...), which moto
 *    refuses to store;
 *  - honours RunInstances ClientToken (moto stores it but launches again): a repeated token
 *    replays the first answer, a reused token with other parameters is refused, as EC2 does;
 *  - refuses DeleteSecurityGroup of a group another group's rule refers to (DependencyViolation,
 *    as EC2 does; moto deletes it and leaves a dangling reference);
 *  - refuses RunInstances with CpuOptions.NestedVirtualization=enabled on an instance type whose
 *    DescribeInstanceTypes entry lacks the nested-virtualization processor feature (moto ignores
 *    the option);
 *  - injects faults (throttling, capacity, DependencyViolation, lost responses) for chosen calls;
 *  - logs every call with its parameters, so tests can check what was sent.
 */

export interface ProxyCall {
  service: string;
  action: string;
  /** EC2 query parameters (form body); empty for JSON services. */
  params: URLSearchParams;
  /** The JSON body of SSM and other JSON-protocol calls. */
  json: Record<string, unknown> | undefined;
}

export interface ProxyLogEntry extends ProxyCall {
  seq: number;
  status: number;
  /** The error code the proxy answered with instead of moto's answer. */
  injected?: string;
  /** Answered from the ClientToken record, without reaching moto. */
  replayed?: boolean;
  /** Answered by the proxy itself (public SSM parameters). */
  local?: boolean;
}

export interface FaultRule {
  /** API action (RunInstances, DescribeInstances, GetParameters ...), or '*' for every call. */
  action: string;
  service?: string;
  /** How many matching calls fail (default 1; Infinity for all). */
  times?: number;
  /** Default 503, the status EC2 uses for RequestLimitExceeded. */
  status?: number;
  code: string;
  message?: string;
  match?: (call: ProxyCall) => boolean;
  /** Forward to moto first and then fail: the work is done but the client never hears of it. */
  afterForward?: boolean;
}

export interface AwsProxyOptions {
  /** Parameter name → AMI id; default: PUBLIC_PARAMETERS from amis.ts. */
  publicParameters?: Record<string, string>;
  /**
   * The serial console of an instance, when a simulated node wrote one: moto answers fixed
   * Linux text, while win-k8s reads its bootstrap lines from there.
   */
  consoleOutput?: (instanceId: string) => string | undefined;
  /**
   * What an SSM Run Command printed on an instance: moto accepts SendCommand and reports every
   * invocation a Success with empty output; this supplies what the script on the VM would say.
   */
  runCommand?: (instanceId: string, commands: string[]) => { stdout: string; stderr?: string; exitCode?: number } | undefined;
}

export interface AwsProxy {
  url: string;
  /**
   * Service Quotas' applied values by `<ServiceCode>/<QuotaCode>`, answered for GetServiceQuota
   * (moto 5.2 serves only VPC quotas). Default: ec2/L-1216C47A (Running On-Demand Standard
   * instances, in vCPUs) at 640 and ebs/L-7A658B76 (gp3 storage, in TiB) at 50; a code not here
   * goes to moto, which answers NoSuchResourceException.
   */
  serviceQuotas: Map<string, number>;
  log: ProxyLogEntry[];
  fail(rule: FaultRule): void;
  clearFaults(): void;
  clearLog(): void;
  /** Faults, log and the ClientToken record: for use together with moto's reset. */
  reset(): void;
  /** Logged calls of one action (EC2 and SSM actions have distinct names). */
  calls(action: string): ProxyLogEntry[];
  stop(): Promise<void>;
}

interface Recorded {
  body: string;
  status: number;
  headers: Record<string, string>;
  response: Buffer;
}

export async function startAwsProxy(motoUrl: string, options: AwsProxyOptions = {}): Promise<AwsProxy> {
  const target = new URL(motoUrl);
  const parameters = options.publicParameters ?? PUBLIC_PARAMETERS;
  const faults: Array<FaultRule & { left: number }> = [];
  const tokens = new Map<string, Recorded>();
  const sentCommands = new Map<string, string[]>();
  const log: ProxyLogEntry[] = [];
  let seq = 0;
  const serviceQuotas = new Map<string, number>([
    [`ec2/${EC2_STANDARD_VCPUS}`, 640],
    [`ebs/${EBS_GP3_TIB}`, 50],
  ]);

  const takeFault = (call: ProxyCall, afterForward: boolean) => {
    const rule = faults.find(
      (f) =>
        f.left > 0 &&
        !!f.afterForward === afterForward &&
        (f.action === '*' || f.action === call.action) &&
        (!f.service || f.service === call.service) &&
        (!f.match || f.match(call)),
    );
    if (rule) rule.left -= 1;
    return rule;
  };

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`proxy error: ${String(err)}`);
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const call = describeCall(req.headers, body);
    const entry: ProxyLogEntry = { ...call, seq: ++seq, status: 0 };
    log.push(entry);
    const send = (status: number, headers: Record<string, string>, payload: Buffer | string) => {
      entry.status = status;
      res.writeHead(status, headers);
      res.end(payload);
    };

    const before = takeFault(call, false);
    if (before) {
      entry.injected = before.code;
      return send(...errorResponse(call, before));
    }

    if (call.service === 'ssm' && (call.action === 'GetParameter' || call.action === 'GetParameters')) {
      const local = publicParameterAnswer(call, parameters);
      if (local) {
        entry.local = true;
        return send(...local);
      }
    }

    if (call.service === 'servicequotas' && call.action === 'GetServiceQuota') {
      const key = `${String(call.json?.ServiceCode)}/${String(call.json?.QuotaCode)}`;
      const value = serviceQuotas.get(key);
      if (value !== undefined) {
        entry.local = true;
        const region = /Credential=[^/]+\/[^/]+\/([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1] ?? 'us-east-1';
        return send(200, { 'content-type': 'application/x-amz-json-1.1' }, JSON.stringify({ Quota: serviceQuotaBody(region, String(call.json?.ServiceCode), String(call.json?.QuotaCode), value) }));
      }
    }

    if (call.action === 'GetConsoleOutput' && options.consoleOutput) {
      const instanceId = call.params.get('InstanceId') ?? '';
      const text = options.consoleOutput(instanceId);
      if (text !== undefined) {
        entry.local = true;
        const xml = `<?xml version="1.0" encoding="UTF-8"?><GetConsoleOutputResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>console-${entry.seq}</requestId><instanceId>${instanceId}</instanceId><timestamp>${new Date().toISOString()}</timestamp><output>${Buffer.from(text).toString('base64')}</output></GetConsoleOutputResponse>`;
        return send(200, { 'content-type': 'text/xml' }, xml);
      }
    }

    if (call.service === 'ssm' && call.action === 'SendCommand') {
      // AWS-RunPowerShellScript's executionTimeout has an allowedPattern that ends at 172800
      // (48 h); moto accepts any value.
      const timeout = ((call.json?.Parameters ?? {}) as { executionTimeout?: string[] }).executionTimeout?.[0];
      if (timeout !== undefined && !(/^[1-9][0-9]*$/.test(timeout) && Number(timeout) <= 172_800)) {
        entry.injected = 'InvalidParameters';
        return send(...errorResponse(call, { status: 400, code: 'InvalidParameters', message: `Parameter "executionTimeout" "${timeout}" failed to satisfy constraint: the value must be at most 172800.` }));
      }
      const forwarded = await forward(target, req, body);
      const id = (JSON.parse(forwarded.response.toString('utf8') || '{}') as { Command?: { CommandId?: string } }).Command?.CommandId;
      const params = (call.json?.Parameters ?? {}) as { commands?: string[] };
      if (id) sentCommands.set(id, params.commands ?? []);
      return send(forwarded.status, forwarded.headers, forwarded.response);
    }

    if (call.service === 'ssm' && call.action === 'GetCommandInvocation' && options.runCommand) {
      const forwarded = await forward(target, req, body);
      const inv = JSON.parse(forwarded.response.toString('utf8') || '{}') as Record<string, unknown>;
      const out = forwarded.status === 200 ? options.runCommand(String(call.json?.InstanceId ?? ''), sentCommands.get(String(call.json?.CommandId ?? '')) ?? []) : undefined;
      if (!out) return send(forwarded.status, forwarded.headers, forwarded.response);
      entry.local = true;
      const code = out.exitCode ?? 0;
      const patched = { ...inv, StandardOutputContent: out.stdout.slice(0, 24_000), StandardErrorContent: (out.stderr ?? '').slice(0, 8_000), ResponseCode: code, Status: code === 0 ? 'Success' : 'Failed', StatusDetails: code === 0 ? 'Success' : 'Failed' };
      return send(200, { 'content-type': 'application/x-amz-json-1.1' }, JSON.stringify(patched));
    }

    if (call.action === 'DeleteSecurityGroup') {
      const groupId = call.params.get('GroupId') ?? '';
      const referrers = groupId ? await groupsReferring(motoUrl, groupId) : [];
      if (referrers.length > 0) {
        entry.injected = 'DependencyViolation';
        return send(...errorResponse(call, { status: 400, code: 'DependencyViolation', message: `resource ${groupId} has a dependent object` }));
      }
    }

    if (call.action === 'RunInstances' && call.params.get('CpuOptions.NestedVirtualization') === 'enabled') {
      const type = call.params.get('InstanceType') ?? 'm1.small';
      if (!(await hasNestedVirtualization(motoUrl, type))) {
        // EC2 documents the rule (8th generation Intel types only), not the error code it answers with.
        entry.injected = 'InvalidParameterCombination';
        return send(...errorResponse(call, { status: 400, code: 'InvalidParameterCombination', message: `Nested virtualization is not supported for instance type ${type}.` }));
      }
    }

    const token = call.action === 'RunInstances' ? call.params.get('ClientToken') : null;
    const recorded = token ? tokens.get(token) : undefined;
    if (recorded) {
      entry.replayed = true;
      if (recorded.body !== body) {
        entry.injected = 'IdempotentParameterMismatch';
        return send(...errorResponse(call, { status: 400, code: 'IdempotentParameterMismatch', message: 'Arguments on this idempotent request are inconsistent with arguments used in previous request(s).' }));
      }
      return send(recorded.status, recorded.headers, recorded.response);
    }

    const forwarded = await forward(target, req, body);
    if (token && forwarded.status === 200) tokens.set(token, { body, ...forwarded });

    const after = takeFault(call, true);
    if (after) {
      entry.injected = after.code;
      return send(...errorResponse(call, after));
    }
    send(forwarded.status, forwarded.headers, forwarded.response);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    serviceQuotas,
    log,
    fail(rule) {
      faults.push({ ...rule, left: rule.times ?? 1 });
    },
    clearFaults() {
      faults.length = 0;
    },
    clearLog() {
      log.length = 0;
    },
    reset() {
      faults.length = 0;
      log.length = 0;
      tokens.clear();
    },
    calls(action) {
      return log.filter((e) => e.action === action);
    },
    stop() {
      return new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}

/** Whether the instance type lists the nested-virtualization processor feature (moto's copy of EC2's data). */
async function hasNestedVirtualization(motoUrl: string, type: string): Promise<boolean> {
  const ec2 = motoEc2(motoUrl);
  try {
    const out = await ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: [type as _InstanceType] }));
    return (out.InstanceTypes?.[0]?.ProcessorInfo?.SupportedFeatures ?? []).includes('nested-virtualization');
  } catch {
    return false;
  } finally {
    ec2.destroy();
  }
}

/** Other groups with an ingress or egress rule whose source is the group (a self-reference does not count). */
async function groupsReferring(motoUrl: string, groupId: string): Promise<string[]> {
  const ec2 = motoEc2(motoUrl);
  try {
    const ids = new Set<string>();
    for (const name of ['ip-permission.group-id', 'egress.ip-permission.group-id']) {
      const out = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: name, Values: [groupId] }] }));
      for (const g of out.SecurityGroups ?? []) if (g.GroupId && g.GroupId !== groupId) ids.add(g.GroupId);
    }
    return [...ids];
  } finally {
    ec2.destroy();
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const EC2_STANDARD_VCPUS = 'L-1216C47A';
const EBS_GP3_TIB = 'L-7A658B76';
const QUOTA_NAMES: Record<string, [service: string, quota: string]> = {
  [`ec2/${EC2_STANDARD_VCPUS}`]: ['Amazon Elastic Compute Cloud (Amazon EC2)', 'Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances'],
  [`ebs/${EBS_GP3_TIB}`]: ['Amazon Elastic Block Store (Amazon EBS)', 'Storage for General Purpose SSD (gp3) volumes, in TiB'],
};

/** A ServiceQuota as GetServiceQuota returns it. */
function serviceQuotaBody(region: string, serviceCode: string, quotaCode: string, value: number): Record<string, unknown> {
  const [serviceName, quotaName] = QUOTA_NAMES[`${serviceCode}/${quotaCode}`] ?? [serviceCode, quotaCode];
  const vcpus = serviceCode === 'ec2' && quotaCode === EC2_STANDARD_VCPUS;
  return {
    ServiceCode: serviceCode,
    ServiceName: serviceName,
    QuotaArn: `arn:aws:servicequotas:${region}:123456789012:${serviceCode}/${quotaCode}`,
    QuotaCode: quotaCode,
    QuotaName: quotaName,
    Value: value,
    Unit: 'None',
    Adjustable: true,
    GlobalQuota: false,
    ...(vcpus ? { UsageMetric: { MetricNamespace: 'AWS/Usage', MetricName: 'ResourceCount', MetricDimensions: { Class: 'Standard/OnDemand', Resource: 'vCPU', Service: 'EC2', Type: 'Resource' }, MetricStatisticRecommendation: 'Maximum' } } : {}),
    QuotaAppliedAtLevel: 'ACCOUNT',
  };
}

function describeCall(headers: IncomingHttpHeaders, body: string): ProxyCall {
  const amzTarget = headers['x-amz-target'];
  const scope = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(String(headers.authorization ?? ''))?.[1];
  if (typeof amzTarget === 'string') {
    let json: Record<string, unknown> | undefined;
    try {
      json = JSON.parse(body || '{}') as Record<string, unknown>;
    } catch {
      json = undefined;
    }
    const service = amzTarget.startsWith('AmazonSSM.') ? 'ssm' : (scope ?? 'unknown');
    return { service, action: amzTarget.split('.').pop() ?? '', params: new URLSearchParams(), json };
  }
  const params = new URLSearchParams(body);
  return { service: scope ?? 'ec2', action: params.get('Action') ?? '', params, json: undefined };
}

function errorResponse(call: ProxyCall, fault: Pick<FaultRule, 'status' | 'code' | 'message'>): [number, Record<string, string>, string] {
  const status = fault.status ?? 503;
  const message = fault.message ?? `${fault.code} (injected by the test proxy)`;
  if (call.json !== undefined || call.service === 'ssm') {
    return [status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': fault.code }, JSON.stringify({ __type: fault.code, message })];
  }
  return [
    status,
    { 'content-type': 'text/xml' },
    `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${fault.code}</Code><Message>${message}</Message></Error></Errors><RequestID>injected-${Date.now()}</RequestID></Response>`,
  ];
}

/** Answers GetParameter(s) when every name asked for is a public Windows AMI parameter. */
function publicParameterAnswer(call: ProxyCall, parameters: Record<string, string>): [number, Record<string, string>, string] | undefined {
  const names = call.action === 'GetParameter' ? [call.json?.Name] : ((call.json?.Names as unknown[] | undefined) ?? []);
  if (names.length === 0 || !names.every((n): n is string => typeof n === 'string' && n.startsWith(PUBLIC_PARAMETER_PREFIX))) return undefined;
  const headers = { 'content-type': 'application/x-amz-json-1.1' };
  const parameter = (name: string) => ({
    Name: name,
    Type: 'String',
    Value: parameters[name],
    Version: 42,
    LastModifiedDate: 1749625965.0,
    ARN: `arn:aws:ssm:us-east-1::parameter${name}`,
    DataType: 'text',
  });
  if (call.action === 'GetParameter') {
    const name = names[0]!;
    if (!parameters[name]) return errorResponse(call, { status: 400, code: 'ParameterNotFound', message: `Parameter ${name} not found.` });
    return [200, headers, JSON.stringify({ Parameter: parameter(name) })];
  }
  const found = names.filter((n) => parameters[n]);
  const missing = names.filter((n) => !parameters[n]);
  return [200, headers, JSON.stringify({ Parameters: found.map(parameter), InvalidParameters: missing })];
}

function forward(target: URL, req: IncomingMessage, body: string): Promise<{ status: number; headers: Record<string, string>; response: Buffer }> {
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers, host: target.host, 'content-length': String(Buffer.byteLength(body)) };
    const out = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const passHeaders: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) {
          if (v === undefined || k === 'transfer-encoding' || k === 'connection' || k === 'content-length') continue;
          passHeaders[k] = Array.isArray(v) ? v.join(', ') : v;
        }
        resolve({ status: res.statusCode ?? 502, headers: passHeaders, response: Buffer.concat(chunks) });
      });
      res.on('error', reject);
    });
    out.on('error', reject);
    out.end(body);
  });
}

/** The tag specifications of a logged RunInstances (moto drops the network-interface ones). */
export function runInstancesTagSpecs(params: URLSearchParams): Array<{ resourceType: string; tags: Record<string, string> }> {
  const specs: Array<{ resourceType: string; tags: Record<string, string> }> = [];
  for (let n = 1; params.has(`TagSpecification.${n}.ResourceType`); n++) {
    const tags: Record<string, string> = {};
    for (let m = 1; params.has(`TagSpecification.${n}.Tag.${m}.Key`); m++) {
      tags[params.get(`TagSpecification.${n}.Tag.${m}.Key`)!] = params.get(`TagSpecification.${n}.Tag.${m}.Value`) ?? '';
    }
    specs.push({ resourceType: params.get(`TagSpecification.${n}.ResourceType`)!, tags });
  }
  return specs;
}

/** The node a logged RunInstances is for (its win-k8s.io/node-name tag). */
export function nodeNameOf(call: ProxyCall): string | undefined {
  return runInstancesTagSpecs(call.params).find((s) => s.resourceType === 'instance')?.tags['win-k8s.io/node-name'];
}
