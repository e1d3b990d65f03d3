import type * as k8s from '@kubernetes/client-node';
import { evaluate, type Target } from '../compat/matrix.js';
import { compareVersions, k8sMinor } from '../compat/versions.js';
import { apiError, apiMessage, statusCode, type Cluster } from './client.js';
import { isLoopbackEndpoint } from './endpoint.js';
import type { ClusterFacts } from './discovery.js';
import { K8S_DOCS } from '../diagnose/docs.js';
import { runChecks } from '../diagnose/runner.js';
import type { CheckDefinition, CheckFacts, CheckOutcome, CheckStatus } from '../diagnose/types.js';

/** One preflight result, as `plan -o json` prints it. */
export interface Check {
  id: string;
  status: CheckStatus;
  message: string;
  hint?: string;
}

export interface PreflightInput {
  target: Target;
  /** The pool the join would create, for hints. */
  pool: string;
  taintWindows: boolean;
  /** --allow-unsupported: overridable matrix errors are warnings. */
  allowUnsupported?: boolean;
}

/** A list the current user may be refused (403): then the checks reading it say they could not check. */
type Readable<T> = { items: T[] } | { forbidden: string };

/** Everything the preflight checks read, gathered once by readPreflightFacts. */
export interface PreflightFacts extends CheckFacts {
  cluster: ClusterFacts;
  target: Target;
  taintWindows: boolean;
  allowUnsupported: boolean;
  /** The kubeconfig context, named when the user lacks permissions. */
  contextName: string;
  /** The REQUIRED_ACCESS entries the API server denied, as "verb resource in namespace". */
  denied: string[];
  bindings: Readable<k8s.V1ClusterRoleBinding>;
  daemonSets: Readable<k8s.V1DaemonSet>;
}

/** A check the current user may not even read: reported, not fatal (rbac.permissions says why). */
function cannotCheck(forbidden: string): CheckOutcome {
  return { status: 'warn', message: `could not check: ${forbidden}`, hint: 'run with a cluster-admin kubeconfig to check this' };
}

const WINDOWS_FLANNEL = { type: 'vxlan', vni: 4096, port: 4789 } as const;

/** What join needs to be allowed to do (checked with SelfSubjectAccessReview). */
export const REQUIRED_ACCESS: { verb: string; group: string; resource: string; namespace?: string }[] = [
  { verb: 'create', group: '', resource: 'secrets', namespace: 'kube-system' },
  { verb: 'delete', group: '', resource: 'secrets', namespace: 'kube-system' },
  { verb: 'list', group: '', resource: 'nodes' },
  { verb: 'watch', group: '', resource: 'nodes' },
  { verb: 'patch', group: '', resource: 'nodes' },
  { verb: 'create', group: 'apps', resource: 'daemonsets', namespace: 'kube-system' },
  { verb: 'create', group: 'node.k8s.io', resource: 'runtimeclasses' },
];

/** The verbs of REQUIRED_ACCESS the current user is denied (SelfSubjectAccessReview). */
async function readDenied(cluster: Cluster): Promise<string[]> {
  const denied: string[] = [];
  try {
    await Promise.all(
      REQUIRED_ACCESS.map(async (a) => {
        const review = await cluster.authz.createSelfSubjectAccessReview({
          body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb: a.verb, group: a.group, resource: a.resource, ...(a.namespace ? { namespace: a.namespace } : {}) } } },
        });
        if (!review.status?.allowed) denied.push(`${a.verb} ${a.group ? `${a.resource}.${a.group}` : a.resource}${a.namespace ? ` in ${a.namespace}` : ''}`);
      }),
    );
  } catch (err) {
    throw apiError(err, 'check permissions (SelfSubjectAccessReview)', cluster.resolved.server);
  }
  return denied;
}

/** A list call whose 403 is a fact for the checks (they warn) and whose other errors stop the plan. */
async function readList<T>(cluster: Cluster, what: string, list: () => Promise<{ items: T[] }>): Promise<Readable<T>> {
  try {
    return { items: (await list()).items };
  } catch (err) {
    if (statusCode(err) === 403) return { forbidden: apiMessage(err) };
    throw apiError(err, what, cluster.resolved.server);
  }
}

/** The reads the preflight checks need; read-only, and the only I/O of preflight. */
export async function readPreflightFacts(cluster: Cluster, facts: ClusterFacts, input: PreflightInput): Promise<PreflightFacts> {
  const [denied, bindings, daemonSets] = await Promise.all([
    readDenied(cluster),
    readList(cluster, 'list ClusterRoleBindings', () => cluster.rbac.listClusterRoleBinding({})),
    readList(cluster, 'list DaemonSets', () => cluster.apps.listDaemonSetForAllNamespaces({})),
  ]);
  return {
    // Every preflight check is cluster-scoped: the nodes it is about do not exist yet.
    windowsNodes: [],
    cluster: facts,
    target: input.target,
    taintWindows: input.taintWindows,
    allowUnsupported: input.allowUnsupported ?? false,
    contextName: cluster.resolved.contextName,
    denied,
    bindings,
    daemonSets,
  };
}

type PreflightCheck = CheckDefinition<PreflightFacts>;

/** Preflight checks are independent of each other and all cluster-scoped. */
function preflightCheck(def: Pick<PreflightCheck, 'id' | 'category' | 'title' | 'docs' | 'run'> & Partial<Pick<PreflightCheck, 'appliesTo'>>): PreflightCheck {
  return { scope: 'cluster', dependsOn: [], fatal: false, ...def };
}

const flavorCheck = preflightCheck({
  id: 'cluster.flavor',
  category: 'cluster',
  title: 'the cluster accepts kubeadm token joins',
  docs: K8S_DOCS.kubeadmJoin,
  run: ({ cluster: facts }) => {
    if (facts.flavor === 'kubeadm') return { status: 'pass', message: 'kubeadm-style cluster: nodes join with bootstrap tokens' };
    if (facts.flavor === 'unknown') {
      return { status: 'warn', message: 'cannot tell how this cluster was built (no kubeadm-config); token joins work only if it runs the bootstrap-token authenticator and kubeadm RBAC' };
    }
    return { status: 'fail', message: `this is ${facts.flavor.toUpperCase()}, which does not accept kubeadm token joins`, hint: MANAGED_WAY[facts.flavor]! };
  },
});

const endpointCheck = preflightCheck({
  id: 'cluster.endpoint',
  category: 'cluster',
  title: 'new nodes can reach the API server and pin its CA',
  docs: K8S_DOCS.kubeadmJoin,
  run: ({ cluster: facts }) => {
    if (isLoopbackEndpoint(facts.endpoint)) {
      return { status: 'fail', message: `the API endpoint ${facts.endpoint} (from ${facts.endpointSource}) is a loopback address that new nodes cannot reach`, hint: 'set controlPlaneEndpoint in kubeadm-config / cluster-info, or pass --api-server' };
    }
    if (!facts.caCertHash) return { status: 'fail', message: 'the cluster CA could not be read, so the join cannot pin it', hint: 'pass --ca-cert-hash (kubeadm token create --print-join-command prints it)' };
    return {
      status: facts.endpointSource === 'kubeconfig' ? 'warn' : 'pass',
      message: `nodes join ${facts.endpoint} (from ${facts.endpointSource}), CA ${facts.caCertHash}`,
      ...(facts.endpointSource === 'kubeconfig' ? { hint: 'no cluster-info or kubeadm-config: make sure nodes can reach this address, or pass --api-server' } : {}),
    };
  },
});

const cidrCheck = preflightCheck({
  id: 'cluster.network',
  category: 'cluster',
  title: 'service CIDR, pod CIDR and cluster DNS are known',
  docs: K8S_DOCS.windowsNetworking,
  run: ({ cluster: facts }) => {
    const missing = [!facts.serviceCidr && 'service CIDR (--service-cidr)', !facts.podCidr && 'pod CIDR (--cluster-cidr)', !facts.dnsIp && 'cluster DNS Service kube-system/kube-dns'].filter(Boolean);
    if (missing.length === 0) return { status: 'pass', message: `services ${facts.serviceCidr}, pods ${facts.podCidr} (from ${facts.cidrSource}), DNS ${facts.dnsIp}` };
    return { status: 'warn', message: `could not discover: ${missing.join(', ')}`, hint: 'pass the missing values as flags' };
  },
});

const accessCheck = preflightCheck({
  id: 'rbac.permissions',
  category: 'rbac',
  title: 'the current user may do what join does',
  docs: K8S_DOCS.authorization,
  run: ({ denied, contextName }) => {
    if (denied.length === 0) return { status: 'pass', message: 'the current user may create bootstrap tokens, manage nodes, DaemonSets and RuntimeClasses' };
    return {
      status: 'fail',
      message: `the current user (context ${contextName}) may not: ${[...denied].sort().join('; ')}`,
      hint: 'use a cluster-admin kubeconfig (e.g. /etc/kubernetes/admin.conf on a kubeadm control plane), or grant these verbs',
    };
  },
});

const matrixCheck = preflightCheck({
  id: 'compat.matrix',
  category: 'compat',
  title: 'the Windows version, runtime and CNI are supported on this Kubernetes version',
  docs: K8S_DOCS.windowsIntro,
  run: ({ target, allowUnsupported }) => {
    const verdict = evaluate(target);
    // What --allow-unsupported may override is a warning here, as render prints it; plan and
    // join refuse the rest before preflight runs (exit 2), so it never fails the plan.
    const overridden = allowUnsupported ? verdict.findings.filter((f) => f.severity === 'error' && f.overridable !== false) : [];
    const errors = verdict.findings.filter((f) => f.severity === 'error' && !overridden.includes(f));
    const warnings = [...overridden.map((f) => ({ ...f, message: `UNSUPPORTED (--allow-unsupported): ${f.message}` })), ...verdict.findings.filter((f) => f.severity === 'warning')];
    if (errors.length > 0) return { status: 'fail', message: errors.map((f) => f.message).join('; '), hint: errors.map((f) => f.instead).filter(Boolean).join('; ') };
    if (warnings.length > 0) return { status: 'warn', message: warnings.map((f) => f.message).join('; '), ...(warnings[0]?.instead ? { hint: warnings[0].instead } : {}) };
    return { status: 'pass', message: `Windows Server ${target.windowsVersion}, ${target.runtime}, ${target.cni} on Kubernetes ${target.kubernetesVersion} is supported` };
  },
});

const skewCheck = preflightCheck({
  id: 'version.skew',
  category: 'compat',
  title: "the node's Kubernetes version is within the API server's skew policy",
  docs: K8S_DOCS.versionSkew,
  run: ({ cluster: facts, target }) => {
    // kubelet may be older than the API server (by up to 3 minors), never newer.
    const skew = k8sMinor(facts.version) - k8sMinor(target.kubernetesVersion);
    if (compareVersions(target.kubernetesVersion, facts.version) > 0 && skew < 0) {
      return { status: 'fail', message: `node version ${target.kubernetesVersion} is newer than the API server ${facts.version}`, hint: `use --kubernetes-version ${facts.version} (the default)` };
    }
    if (skew > 3) {
      return { status: 'fail', message: `node version ${target.kubernetesVersion} is ${skew} minors behind the API server ${facts.version} (at most 3 allowed)`, hint: `use --kubernetes-version ${facts.version}` };
    }
    return { status: skew > 0 ? 'warn' : 'pass', message: skew > 0 ? `node version ${target.kubernetesVersion} is ${skew} minor(s) behind the API server ${facts.version}` : `node version matches the API server (${facts.version})` };
  },
});

/**
 * The CNI checks: exactly one applies. cni.windows when the target leaves the CNI to the
 * cluster (--cni none) or names another plugin than the cluster runs; otherwise the check of
 * the plugin both agree on.
 */
const cniAgrees = ({ cluster, target }: PreflightFacts) => target.cni !== 'none' && cluster.cni.type === target.cni;

const cniWindowsCheck = preflightCheck({
  id: 'cni.windows',
  category: 'network',
  title: "the target's CNI is the one the cluster runs",
  docs: K8S_DOCS.windowsNetworking,
  appliesTo: (f) => !cniAgrees(f),
  run: ({ cluster: facts, target }) => {
    const detected = facts.cni.type;
    if (target.cni === 'none') {
      return detected === 'aws-vpc-cni'
        ? { status: 'warn', message: 'the cluster runs the Amazon VPC CNI; its Windows IPAM runs in the control plane (EKS only)' }
        : { status: 'pass', message: `--cni none: the cluster's network plugin (${detected}) must configure Windows nodes itself` };
    }
    return {
      status: 'fail',
      message: `the cluster runs ${detected === 'unknown' ? 'no CNI win-k8s recognises' : detected}, but the target is --cni ${target.cni}`,
      hint: detected === 'flannel' || detected === 'calico' ? `use --cni ${detected}` : 'use --cni none and install the network plugin\'s Windows support yourself',
    };
  },
});

const flannelCheck = preflightCheck({
  id: 'cni.flannel',
  category: 'network',
  title: "flannel's VXLAN settings can carry Windows nodes",
  docs: K8S_DOCS.flannelBackends,
  appliesTo: (f) => cniAgrees(f) && f.cluster.cni.type === 'flannel',
  run: ({ cluster: facts }) => {
    const f = facts.cni.flannel!;
    const problems: string[] = [];
    if ((f.backendType ?? '').toLowerCase() !== WINDOWS_FLANNEL.type) problems.push(`backend ${f.backendType ?? '(none)'} (Windows needs vxlan)`);
    if ((f.vni ?? 1) < WINDOWS_FLANNEL.vni) problems.push(`VNI ${f.vni ?? '1 (default)'} (Windows needs >= 4096)`);
    if ((f.port ?? 8472) !== WINDOWS_FLANNEL.port) problems.push(`port ${f.port ?? '8472 (default)'} (Windows needs 4789)`);
    if (problems.length === 0) return { status: 'pass', message: `flannel VXLAN VNI ${f.vni} port ${f.port}: usable by Windows nodes` };
    const backend = JSON.stringify({ Type: 'vxlan', VNI: WINDOWS_FLANNEL.vni, Port: WINDOWS_FLANNEL.port });
    return {
      status: 'fail',
      message: `flannel in ${f.namespace} cannot carry Windows nodes: ${problems.join(', ')}`,
      hint:
        `set "Backend": ${backend} in net-conf.json: kubectl -n ${f.namespace} edit configmap kube-flannel-cfg; ` +
        `then kubectl -n ${f.namespace} rollout restart daemonset kube-flannel-ds — this restarts flannel on every Linux node and recreates its VXLAN device (flannel.${WINDOWS_FLANNEL.vni}), briefly interrupting pod-to-pod traffic across nodes`,
    };
  },
});

const calicoCheck = preflightCheck({
  id: 'cni.calico',
  category: 'network',
  title: 'Calico is set up for Windows nodes (HNS dataplane, service CIDRs, VXLAN)',
  docs: K8S_DOCS.windowsNetworking,
  appliesTo: (f) => cniAgrees(f) && f.cluster.cni.type !== 'flannel',
  run: ({ cluster: facts }) => {
    const c = facts.cni.calico!;
    const missing: string[] = [];
    if (!c.installation) missing.push('an operator.tigera.io Installation (Calico for Windows needs the Tigera operator)');
    if (c.installation && c.windowsDataplane !== 'HNS') missing.push('spec.calicoNetwork.windowsDataplane: HNS');
    if (c.installation && !(c.serviceCIDRs && c.serviceCIDRs.length > 0)) missing.push('spec.serviceCIDRs');
    if (c.encapsulations.some((e) => e !== 'VXLAN' && e !== 'None')) missing.push('VXLAN IP pools (Windows supports VXLAN only)');
    if (missing.length === 0) return { status: 'pass', message: 'Calico Installation has the HNS Windows dataplane and service CIDRs' };
    const svc = facts.serviceCidr ?? '<service CIDR>';
    return {
      status: 'fail',
      message: `Calico is not ready for Windows nodes: missing ${missing.join('; ')}`,
      hint: `kubectl patch installation default --type merge -p '{"spec":{"calicoNetwork":{"windowsDataplane":"HNS"},"serviceCIDRs":["${svc}"]}}'`,
    };
  },
});

const bootstrapRbacCheck = preflightCheck({
  id: 'rbac.bootstrap',
  category: 'rbac',
  title: "kubeadm's bootstrap-token RBAC lets new nodes get their certificates",
  docs: K8S_DOCS.tlsBootstrap,
  run: ({ bindings: read }) => {
    if ('forbidden' in read) return cannotCheck(read.forbidden);
    const bindings = read.items;
    const has = (role: string, group: string) => bindings.some((b) => b.roleRef.name === role && (b.subjects ?? []).some((s) => s.kind === 'Group' && s.name === group));
    const needed: [string, string, string][] = [
      ['system:node-bootstrapper', 'system:bootstrappers:kubeadm:default-node-token', 'bootstrap tokens may create node CSRs'],
      ['system:certificates.k8s.io:certificatesigningrequests:nodeclient', 'system:bootstrappers:kubeadm:default-node-token', 'node client CSRs are auto-approved'],
      ['system:certificates.k8s.io:certificatesigningrequests:selfnodeclient', 'system:nodes', 'nodes may renew their certificates'],
    ];
    const missing = needed.filter(([role, group]) => !has(role, group));
    if (missing.length === 0) return { status: 'pass', message: "kubeadm's bootstrap-token RBAC is in place (CSR creation and auto-approval)" };
    return {
      status: 'fail',
      message: `missing kubeadm bootstrap RBAC: ${missing.map(([role, group, why]) => `${role} for ${group} (${why})`).join('; ')}`,
      hint: 'on a control-plane node: kubeadm init phase bootstrap-token (it recreates these ClusterRoleBindings)',
    };
  },
});

function excludesWindows(spec: k8s.V1PodSpec | undefined): boolean {
  const selector = spec?.nodeSelector ?? {};
  const os = selector['kubernetes.io/os'] ?? selector['beta.kubernetes.io/os'];
  if (os !== undefined) return os !== 'windows';
  const terms = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  if (terms.length === 0) return false;
  // Every term must exclude Windows for the pod never to land there.
  return terms.every((t) =>
    (t.matchExpressions ?? []).some(
      (e) =>
        (e.key === 'kubernetes.io/os' || e.key === 'beta.kubernetes.io/os') &&
        ((e.operator === 'In' && !(e.values ?? []).includes('windows')) || (e.operator === 'NotIn' && (e.values ?? []).includes('windows'))),
    ),
  );
}

function toleratesWindowsTaint(spec: k8s.V1PodSpec | undefined): boolean {
  return (spec?.tolerations ?? []).some((t) => (t.operator === 'Exists' && !t.key) || (t.key === 'os' && (t.operator === 'Exists' || t.value === 'windows') && (!t.effect || t.effect === 'NoSchedule')));
}

const linuxDaemonSetsCheck = preflightCheck({
  id: 'daemonsets.linux-only',
  category: 'workloads',
  title: 'no Linux-only DaemonSet would schedule onto Windows nodes',
  docs: K8S_DOCS.windowsUserGuide,
  run: ({ daemonSets: read, taintWindows }) => {
    if ('forbidden' in read) return cannotCheck(read.forbidden);
    const landing = read.items.filter((ds) => {
      const spec = ds.spec?.template.spec;
      if (excludesWindows(spec)) return false;
      if (spec?.nodeSelector?.['kubernetes.io/os'] === 'windows') return false;
      // With --taint-windows, only DaemonSets that tolerate the taint still land there.
      return !(taintWindows && !toleratesWindowsTaint(spec));
    });
    if (landing.length === 0) return { status: 'pass', message: 'no DaemonSet without an OS selector would schedule onto Windows nodes' };
    const names = landing.map((ds) => `${ds.metadata?.namespace}/${ds.metadata?.name}`).sort();
    const first = landing[0]!;
    return {
      status: 'warn',
      message: `${names.length} DaemonSet(s) have no OS selector and would try to run Linux pods on Windows nodes: ${names.join(', ')}`,
      hint: taintWindows
        ? `they tolerate the os=windows taint; add a Linux node selector, e.g. kubectl -n ${first.metadata?.namespace} patch daemonset ${first.metadata?.name} -p '{"spec":{"template":{"spec":{"nodeSelector":{"kubernetes.io/os":"linux"}}}}}'`
        : `join with --taint-windows, or add a Linux node selector, e.g. kubectl -n ${first.metadata?.namespace} patch daemonset ${first.metadata?.name} -p '{"spec":{"template":{"spec":{"nodeSelector":{"kubernetes.io/os":"linux"}}}}}'`,
    };
  },
});

const MANAGED_WAY: Record<string, string> = {
  eks: 'EKS joins Windows nodes through its own bootstrap, not kubeadm tokens: eksctl create nodegroup --node-ami-family WindowsServer2022CoreContainer (and enable Windows IPAM in amazon-vpc-cni)',
  aks: 'AKS adds Windows nodes as a node pool: az aks nodepool add --os-type Windows --name <pool> ...',
  gke: 'GKE adds Windows nodes as a node pool: gcloud container node-pools create <pool> --image-type WINDOWS_LTSC_CONTAINERD ...',
  k3s: 'k3s has no Windows agent; use a kubeadm or RKE2 cluster for Windows nodes',
  rke2: 'RKE2 joins Windows nodes with its own agent: install rke2 on Windows and run rke2 agent with the server token',
};

/** The preflight checks, in the order plan prints them. */
export const PREFLIGHT_CHECKS: readonly PreflightCheck[] = [
  flavorCheck,
  endpointCheck,
  cidrCheck,
  accessCheck,
  matrixCheck,
  skewCheck,
  cniWindowsCheck,
  flannelCheck,
  calicoCheck,
  bootstrapRbacCheck,
  linuxDaemonSetsCheck,
];

/** The preflight checks over facts already read, with the runner diagnose uses: pure, no I/O. */
export function runPreflightChecks(facts: PreflightFacts): Check[] {
  // The plan document keeps its shape: id, status, message and hint.
  return runChecks(PREFLIGHT_CHECKS, facts).map((r) => ({ id: r.id, status: r.status, message: r.message, ...(r.hint !== undefined ? { hint: r.hint } : {}) }));
}

/** Reads the preflight facts and runs every preflight check; read-only. */
export async function preflight(cluster: Cluster, facts: ClusterFacts, input: PreflightInput): Promise<Check[]> {
  return runPreflightChecks(await readPreflightFacts(cluster, facts, input));
}
