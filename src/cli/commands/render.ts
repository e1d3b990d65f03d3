import type { Command } from 'commander';
import { globalOptions, joinValueOptions, poolOptions, proxyOptions, renderOptions, targetOptions, type OptionSpec } from '../../config/options.js';
import { addOptions } from '../options.js';
import type { CommandContext } from '../context.js';
import type { RunCommand } from '../run.js';

const SPECS: OptionSpec[] = [
  ...Object.values(targetOptions),
  ...Object.values(joinValueOptions),
  poolOptions.pool,
  ...Object.values(proxyOptions),
  ...Object.values(renderOptions),
];

export function register(program: Command, run: RunCommand): Command {
  const cmd = program
    .command('render')
    .description('print the bootstrap PowerShell that turns one Windows Server into a node of your cluster (works offline)')
    .addHelpText(
      'after',
      `
Examples:
  export WIN_K8S_TOKEN=abcdef.0123456789abcdef
  win-k8s render --kubernetes-version 1.33.2 --api-server 10.0.0.10:6443 \\
    --ca-cert-hash sha256:<64 hex> --node-name win-01 > bootstrap.ps1
  win-k8s render ... --compress --output-file user-data.ps1   # stub for 16 KB user-data limits

Run it on the Windows machine as Administrator:
  powershell.exe -NoProfile -ExecutionPolicy Bypass -File .\\bootstrap.ps1`,
    );
  addOptions(cmd, SPECS);
  cmd.action(async (_opts: unknown, command: Command) => run(command, async () => renderHandler));
  return cmd;
}

const REQUIRED: { path: string; spec: OptionSpec; what: string }[] = [
  { path: 'pool.kubernetesVersion', spec: targetOptions.kubernetesVersion, what: 'the Kubernetes version of the cluster (kubectl version)' },
  { path: 'cluster.apiServer', spec: joinValueOptions.apiServer, what: 'the API server endpoint (kubeadm token create --print-join-command shows it)' },
  { path: 'cluster.token', spec: joinValueOptions.token, what: 'a bootstrap token (kubeadm token create)' },
  { path: 'cluster.caCertHash', spec: joinValueOptions.caCertHash, what: 'the CA hash (kubeadm token create --print-join-command shows it)' },
  { path: 'render.nodeName', spec: renderOptions.nodeName, what: 'the node name' },
];

async function renderHandler(ctx: CommandContext): Promise<number> {
  const [{ ConfigFile, RenderSection }, { mergeSources, validate }, { envName, longFlag }, { renderBootstrap }, { UsageErrors, isUsageErrors }] = await Promise.all([
    import('../../config/schema.js'),
    import('../../config/resolve.js'),
    import('../../config/options.js'),
    import('../../bootstrap/render.js'),
    import('../../errors.js'),
  ]);
  const specs = [...SPECS, globalOptions.kubeconfig, globalOptions.context];
  const merged = mergeSources({ specs, cli: ctx.cli, env: ctx.env, file: ctx.configFile });
  const { render: rawRender, ...rawConfig } = merged.raw as { render?: unknown } & Record<string, unknown>;
  // Validate everything first and report all problems together.
  const problems: string[] = [];
  const collect = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (err) {
      if (isUsageErrors(err)) problems.push(...err.problems);
      else throw err;
      return undefined;
    }
  };
  const config = collect(() => validate(ConfigFile, rawConfig, merged));
  // A missing --node-name is reported below, with the other required values, by its flag.
  const renderValues = collect(() => validate(RenderSection.partial({ nodeName: true }), rawRender ?? {}, merged, 'render'));
  // Presence is judged on the merged input, so an invalid value elsewhere does not hide it.
  const get = (path: string): unknown => path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], merged.raw);
  const kubeconfigGiven = Boolean(config?.kubeconfig || config?.context || ctx.env.KUBECONFIG);
  const discoverable = ['pool.kubernetesVersion', 'cluster.apiServer', 'cluster.caCertHash'];
  const wantsToken = renderValues?.createToken === true;
  const needsCluster = problems.length === 0 && (wantsToken || (kubeconfigGiven && discoverable.some((p) => get(p) === undefined)));
  for (const r of REQUIRED) {
    const fromCluster = needsCluster && (discoverable.includes(r.path) || (r.path === 'cluster.token' && wantsToken));
    if (get(r.path) === undefined && !fromCluster) {
      const inFile = r.path.startsWith('render.') ? '' : `, or ${r.path} in win-k8s.yaml`;
      const discover = discoverable.includes(r.path) ? '; or give --kubeconfig to read it from the cluster' : r.path === 'cluster.token' ? '; or --create-token with --kubeconfig' : '';
      problems.push(`${longFlag(r.spec)}: required: ${r.what} (or ${envName(r.spec)}${inFile})${discover}`);
    }
  }
  if (renderValues?.outputFile) {
    // Before --create-token makes a token on the cluster: a target that cannot be written
    // (missing directory, a directory, a symlink) is a usage error, not a token left behind.
    const { checkOutputTarget } = await import('../../util/secret-file.js');
    collect(() => {
      try {
        checkOutputTarget(ctx.cwd, renderValues.outputFile!, '--output-file');
      } catch (err) {
        throw new UsageErrors([(err as Error).message]);
      }
    });
  }
  if (problems.length > 0 || !config || !renderValues) throw new UsageErrors(problems, 'win-k8s render --help lists every option');
  if (renderValues.createToken && config.cluster.token) throw new UsageErrors(['--create-token: cannot be combined with --token / WIN_K8S_TOKEN']);
  {
    // Before anything reads the cluster or makes a token. Only ranges both given are compared
    // here; the effective ranges (read from the cluster or defaulted) are compared below.
    const { cidrsOverlap } = await import('../../config/validators.js');
    const { describeSource } = await import('../../config/resolve.js');
    const { serviceCidr, podCidr } = config.cluster;
    if (serviceCidr && podCidr && cidrsOverlap(serviceCidr, podCidr)) {
      const name = (path: string, fallback: string) => {
        const source = merged.sources.get(path);
        return source ? describeSource(source, path) : fallback;
      };
      throw new UsageErrors([
        `${name('cluster.serviceCidr', '--service-cidr')} ${serviceCidr} and ${name('cluster.podCidr', '--cluster-cidr')} ${podCidr} overlap: Services and pods need separate ranges (kubeadm's defaults are 10.96.0.0/12 and 10.244.0.0/16)`,
      ]);
    }
  }

  if (config.cluster.apiServer) {
    const { refuseLoopbackEndpoint } = await import('../../cluster/endpoint.js');
    const { describeSource } = await import('../../config/resolve.js');
    const source = merged.sources.get('cluster.apiServer');
    refuseLoopbackEndpoint(config.cluster.apiServer, source ? describeSource(source, 'cluster.apiServer') : '--api-server');
  }
  if (needsCluster) {
    const { fillFromCluster } = await import('../../bootstrap/render-discovery.js');
    await fillFromCluster(ctx, config, renderValues.createToken);
  }
  const { cluster, pool, proxy } = config;
  ctx.output.addSecret(cluster.token);
  for (const url of [proxy.http, proxy.https]) if (url && /\/\/[^/]*@/.test(url)) ctx.output.addSecret(url);
  const serviceCidr = cluster.serviceCidr ?? '10.96.0.0/12';
  const clusterCidr = cluster.podCidr ?? '10.244.0.0/16';
  {
    const { cidrsOverlap } = await import('../../config/validators.js');
    if (cidrsOverlap(serviceCidr, clusterCidr)) {
      const origin = (given: string | undefined) => (given ? '' : ' (default)');
      throw new UsageErrors([`--service-cidr ${serviceCidr}${origin(config.cluster.serviceCidr)} and --cluster-cidr ${clusterCidr}${origin(config.cluster.podCidr)} overlap: Services and pods need separate ranges; give both`]);
    }
  }
  if (!cluster.serviceCidr) ctx.output.warn(`--service-cidr not set: assuming kubeadm's default ${serviceCidr}; a wrong value breaks Service routing from Windows pods`);
  if (!cluster.podCidr && pool.cni === 'flannel') ctx.output.warn(`--cluster-cidr not set: assuming flannel's default ${clusterCidr}`);

  const rendered = renderBootstrap({
    target: {
      windowsVersion: pool.windowsVersion,
      kubernetesVersion: pool.kubernetesVersion!,
      runtime: pool.runtime,
      cni: pool.cni,
      hypervIsolation: pool.hypervIsolation,
      containerdVersion: pool.containerdVersion,
      dockerVersion: pool.dockerVersion,
    },
    nodeName: renderValues.nodeName!,
    apiServer: cluster.apiServer!,
    token: cluster.token!,
    caCertHash: cluster.caCertHash!,
    serviceCidr,
    clusterCidr,
    labels: pool.labels,
    taints: pool.taints,
    proxy: { http: proxy.http, https: proxy.https, noProxy: proxy.noProxy },
    checksums: pool.checksums,
    allowUnsupported: pool.allowUnsupported,
    toolVersion: ctx.toolVersion,
  });
  for (const finding of rendered.findings) {
    if (finding.severity === 'error') {
      ctx.output.warn(`UNSUPPORTED (--allow-unsupported): ${finding.message}${finding.instead ? `; supported choice: ${finding.instead}` : ''}`);
    } else if (finding.severity === 'warning') {
      ctx.output.warn(`${finding.message}${finding.instead ? `; consider ${finding.instead}` : ''}`);
    } else {
      ctx.output.debug(finding.message);
    }
  }

  let script = rendered.script;
  if (renderValues.compress) {
    const { compressScript } = await import('../../bootstrap/compress.js');
    script = compressScript(script);
    ctx.output.debug(`compressed ${Buffer.byteLength(rendered.script)} bytes to a ${Buffer.byteLength(script)}-byte stub`);
  }
  const target = { ...rendered.target, compressed: renderValues.compress, bytes: Buffer.byteLength(script) };

  if (renderValues.outputFile) {
    const { writeSecretFile } = await import('../../util/secret-file.js');
    const path = writeSecretFile(ctx.cwd, renderValues.outputFile, script);
    ctx.output.success(`wrote ${path} (${target.bytes} bytes, mode 0600): it contains a bootstrap token, keep it private`);
    if (ctx.output.format === 'json') ctx.output.result({ file: path, target }, () => '');
    return 0;
  }
  ctx.output.result({ script, target }, () => script, { carriesSecrets: true });
  return 0;
}
