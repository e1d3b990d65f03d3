/**
 * Authentication (bearer tokens, bootstrap tokens, client certificates, anonymous) and
 * authorization (built-in kubeadm-like defaults, a rule table, a simplified Node authorizer and
 * real RBAC objects from the store).
 */
import type { ObjectStore } from './store.js';
import type { AuthzAttributes, AuthzDecision, Grant, KubeObject, PolicyRule, TokenEntry, UserInfo } from './types.js';

export const ANONYMOUS: UserInfo = { name: 'system:anonymous', groups: ['system:unauthenticated'] };
export const BOOTSTRAP_TOKEN_RE = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
const BOOTSTRAP_GROUP_RE = /^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$/;

function b64(v: unknown): string {
  return typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : '';
}

export type AuthnResult = { ok: true; user: UserInfo } | { ok: false };

function withAuthenticated(user: UserInfo): UserInfo {
  const groups = [...user.groups];
  if (!groups.includes('system:authenticated') && user.name !== 'system:anonymous') groups.push('system:authenticated');
  return { ...user, groups };
}

/** Validate a bootstrap token against kube-system/bootstrap-token-<id>, as the real authenticator does. */
export function authenticateBootstrapToken(store: ObjectStore, token: string, now: Date = new Date()): UserInfo | undefined {
  const m = token.match(BOOTSTRAP_TOKEN_RE);
  if (!m) return undefined;
  const [, id, secret] = m;
  const s = store.getRef(store.resolve('secrets'), 'kube-system', `bootstrap-token-${id}`);
  if (!s || s['type'] !== 'bootstrap.kubernetes.io/token' || s.metadata?.deletionTimestamp) return undefined;
  const data = (s['data'] ?? {}) as Record<string, string>;
  if (b64(data['token-id']) !== id || b64(data['token-secret']) !== secret) return undefined;
  if (b64(data['usage-bootstrap-authentication']) !== 'true') return undefined;
  const exp = b64(data['expiration']);
  if (exp) {
    const t = Date.parse(exp);
    if (Number.isNaN(t) || t <= now.getTime()) return undefined;
  }
  const groups = ['system:bootstrappers'];
  const extra = b64(data['auth-extra-groups']);
  if (extra) {
    for (const g of extra.split(',').map((x) => x.trim()).filter((x) => x.length > 0)) {
      if (!BOOTSTRAP_GROUP_RE.test(g)) return undefined;
      if (!groups.includes(g)) groups.push(g);
    }
  }
  return withAuthenticated({ name: `system:bootstrap:${id}`, groups });
}

export interface PeerCert {
  authorized: boolean;
  subject?: { CN?: string | string[]; O?: string | string[] };
}

export function authenticate(opts: {
  store: ObjectStore;
  tokens: Map<string, TokenEntry>;
  authorization?: string | undefined;
  peerCert?: PeerCert | undefined;
  anonymousAuth: boolean;
}): AuthnResult {
  const cert = opts.peerCert;
  if (cert && cert.subject) {
    if (!cert.authorized) return { ok: false };
    const cn = Array.isArray(cert.subject.CN) ? cert.subject.CN[0] : cert.subject.CN;
    if (!cn) return { ok: false };
    const o = cert.subject.O;
    const groups = o === undefined ? [] : Array.isArray(o) ? [...o] : [o];
    return { ok: true, user: withAuthenticated({ name: cn, groups }) };
  }
  const auth = opts.authorization;
  if (auth !== undefined) {
    const m = auth.match(/^Bearer\s+(\S+)\s*$/i);
    if (!m || !m[1]) return { ok: false };
    const token = m[1];
    const entry = opts.tokens.get(token);
    if (entry) {
      return { ok: true, user: withAuthenticated({ name: entry.user, groups: [...(entry.groups ?? [])], ...(entry.uid ? { uid: entry.uid } : {}) }) };
    }
    const boot = authenticateBootstrapToken(opts.store, token);
    if (boot) return { ok: true, user: boot };
    return { ok: false };
  }
  if (!opts.anonymousAuth) return { ok: false };
  return { ok: true, user: ANONYMOUS };
}

// ---------------------------------------------------------------------------------------------
// Authorization

const DISCOVERY_URLS = ['/api', '/api/*', '/apis', '/apis/*', '/openapi', '/openapi/*', '/version', '/version/', '/healthz', '/livez', '/readyz'];

/** Rules every kubeadm cluster grants through its bootstrap ClusterRoles. */
const BUILTIN_GRANTS: Grant[] = [
  // system:public-info-viewer
  { group: 'system:unauthenticated', rules: [{ verbs: ['get'], nonResourceURLs: ['/healthz', '/livez', '/readyz', '/version', '/version/'] }] },
  // kubeadm:bootstrap-signer-clusterinfo (Role in kube-public bound to system:anonymous)
  { user: 'system:anonymous', rules: [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['cluster-info'], namespaces: ['kube-public'] }] },
  // system:discovery, system:basic-user
  {
    group: 'system:authenticated',
    rules: [
      { verbs: ['get'], nonResourceURLs: DISCOVERY_URLS },
      { verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'] },
      { verbs: ['create'], apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'] },
    ],
  },
];

/** A simplified Node authorizer: what a kubelet (system:node:<name> in system:nodes) may do. */
function nodeRules(nodeName: string): PolicyRule[] {
  return [
    { verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['nodes', 'services', 'endpoints', 'pods', 'namespaces', 'configmaps', 'secrets', 'persistentvolumeclaims', 'serviceaccounts'] },
    { verbs: ['get', 'list', 'watch'], apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'] },
    { verbs: ['get', 'list', 'watch'], apiGroups: ['node.k8s.io'], resources: ['runtimeclasses'] },
    { verbs: ['get', 'list', 'watch'], apiGroups: ['storage.k8s.io'], resources: ['storageclasses'] },
    { verbs: ['create'], apiGroups: [''], resources: ['nodes'] },
    { verbs: ['get', 'update', 'patch'], apiGroups: [''], resources: ['nodes', 'nodes/status'], resourceNames: [nodeName] },
    { verbs: ['create', 'delete'], apiGroups: [''], resources: ['pods'] },
    { verbs: ['update', 'patch'], apiGroups: [''], resources: ['pods/status'] },
    { verbs: ['create'], apiGroups: [''], resources: ['pods/eviction', 'serviceaccounts/token'] },
    { verbs: ['create', 'update', 'patch'], apiGroups: ['', 'events.k8s.io'], resources: ['events'] },
    { verbs: ['create'], apiGroups: ['coordination.k8s.io'], resources: ['leases'], namespaces: ['kube-node-lease'] },
    { verbs: ['get', 'update', 'patch', 'delete'], apiGroups: ['coordination.k8s.io'], resources: ['leases'], namespaces: ['kube-node-lease'], resourceNames: [nodeName] },
    { verbs: ['create', 'get', 'list', 'watch'], apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests'] },
    { verbs: ['create'], apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests/selfnodeclient'] },
  ];
}

function matchesList(list: string[] | undefined, value: string): boolean {
  if (!list) return false;
  return list.includes('*') || list.includes(value);
}

function matchesNonResourceUrl(patterns: string[], path: string): boolean {
  return patterns.some((p) => p === '*' || p === path || (p.endsWith('*') && path.startsWith(p.slice(0, -1))));
}

export function ruleAllows(rule: PolicyRule, a: AuthzAttributes, namespaceOfBinding?: string): boolean {
  if (!matchesList(rule.verbs, a.verb)) return false;
  if (!a.isResourceRequest) {
    return rule.nonResourceURLs !== undefined && matchesNonResourceUrl(rule.nonResourceURLs, a.path ?? '');
  }
  if (rule.nonResourceURLs && !rule.resources) return false;
  if (!matchesList(rule.apiGroups, a.apiGroup ?? '')) return false;
  const res = a.subresource ? `${a.resource}/${a.subresource}` : (a.resource ?? '');
  const resources = rule.resources ?? [];
  const resOk =
    resources.includes('*') ||
    resources.includes(res) ||
    (a.subresource !== undefined && a.subresource !== '' && resources.includes(`*/${a.subresource}`));
  if (!resOk) return false;
  if (rule.resourceNames && rule.resourceNames.length > 0) {
    if (!a.name || !rule.resourceNames.includes(a.name)) return false;
  }
  const ns = namespaceOfBinding;
  if (ns !== undefined && a.namespace !== ns) return false;
  if (rule.namespaces && rule.namespaces.length > 0 && !rule.namespaces.includes(a.namespace ?? '')) return false;
  return true;
}

function subjectMatches(grant: Grant, user: UserInfo): boolean {
  if (grant.user !== undefined && grant.user === user.name) return true;
  if (grant.group !== undefined && user.groups.includes(grant.group)) return true;
  return false;
}

interface RbacSubject {
  kind: string;
  name: string;
  namespace?: string;
}

function rbacSubjectMatches(s: RbacSubject, user: UserInfo): boolean {
  if (s.kind === 'User') return s.name === user.name;
  if (s.kind === 'Group') return user.groups.includes(s.name);
  if (s.kind === 'ServiceAccount') return user.name === `system:serviceaccount:${s.namespace ?? ''}:${s.name}`;
  return false;
}

export interface AuthorizerOptions {
  /** Groups allowed everything (default ["system:masters"]). */
  superGroups: string[];
  grants: Grant[];
  rbacFromStore: boolean;
  nodeAuthorizer: boolean;
}

export interface EffectiveRule {
  rule: PolicyRule;
  /** Namespace the rule is limited to (RoleBinding), if any. */
  namespace?: string;
}

export class Authorizer {
  constructor(
    private readonly store: ObjectStore,
    readonly options: AuthorizerOptions,
  ) {}

  grant(subject: { user?: string; group?: string }, rules: PolicyRule[]): void {
    this.options.grants.push({ ...subject, rules });
  }

  /** Every rule that applies to `user`, with its provenance. */
  private *rulesFor(user: UserInfo): Generator<{ rule: PolicyRule; namespace?: string; via: string }> {
    for (const g of [...BUILTIN_GRANTS, ...this.options.grants]) {
      if (subjectMatches(g, user)) for (const rule of g.rules) yield { rule, via: g.user ? `rule table entry for User "${g.user}"` : `rule table entry for Group "${g.group}"` };
    }
    if (this.options.nodeAuthorizer && user.groups.includes('system:nodes') && user.name.startsWith('system:node:')) {
      for (const rule of nodeRules(user.name.slice('system:node:'.length))) yield { rule, via: 'Node authorizer' };
    }
    if (!this.options.rbacFromStore) return;
    const rbac = (r: string) => this.store.resolve(`${r}.rbac.authorization.k8s.io`);
    const clusterRoles = rbac('clusterroles');
    const rolesType = rbac('roles');
    for (const b of this.store.listType(rbac('clusterrolebindings'))) {
      const subjects = (b['subjects'] ?? []) as RbacSubject[];
      if (!subjects.some((s) => rbacSubjectMatches(s, user))) continue;
      const ref = (b['roleRef'] ?? {}) as { kind?: string; name?: string };
      if (ref.kind !== 'ClusterRole' || !ref.name) continue;
      const role = this.store.getRef(clusterRoles, undefined, ref.name);
      for (const rule of ((role?.['rules'] ?? []) as PolicyRule[])) {
        yield { rule, via: `RBAC: allowed by ClusterRoleBinding "${b.metadata?.name}" of ClusterRole "${ref.name}"` };
      }
    }
    for (const b of this.store.listType(rbac('rolebindings'))) {
      const subjects = (b['subjects'] ?? []) as RbacSubject[];
      if (!subjects.some((s) => rbacSubjectMatches(s, user))) continue;
      const ns = b.metadata?.namespace ?? '';
      const ref = (b['roleRef'] ?? {}) as { kind?: string; name?: string };
      if (!ref.name) continue;
      const role: KubeObject | undefined =
        ref.kind === 'ClusterRole' ? this.store.getRef(clusterRoles, undefined, ref.name) : this.store.getRef(rolesType, ns, ref.name);
      for (const rule of ((role?.['rules'] ?? []) as PolicyRule[])) {
        yield { rule, namespace: ns, via: `RBAC: allowed by RoleBinding "${b.metadata?.name}/${ns}" of ${ref.kind ?? 'Role'} "${ref.name}"` };
      }
    }
  }

  authorize(user: UserInfo, a: AuthzAttributes): AuthzDecision {
    if (user.groups.some((g) => this.options.superGroups.includes(g))) return { allowed: true, reason: '' };
    for (const { rule, namespace, via } of this.rulesFor(user)) {
      if (ruleAllows(rule, a, namespace)) return { allowed: true, reason: via };
    }
    return { allowed: false, reason: '' };
  }

  /** The rules in effect for `user` in `namespace` (for SelfSubjectRulesReview). */
  rulesReview(user: UserInfo, namespace: string): { resourceRules: PolicyRule[]; nonResourceRules: PolicyRule[] } {
    if (user.groups.some((g) => this.options.superGroups.includes(g))) {
      return {
        resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
        nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
      };
    }
    const resourceRules: PolicyRule[] = [];
    const nonResourceRules: PolicyRule[] = [];
    for (const { rule, namespace: bindingNs } of this.rulesFor(user)) {
      if (bindingNs !== undefined && bindingNs !== namespace) continue;
      if (rule.namespaces && !rule.namespaces.includes(namespace)) continue;
      if (rule.nonResourceURLs) nonResourceRules.push({ verbs: rule.verbs, nonResourceURLs: rule.nonResourceURLs });
      if (rule.resources) {
        resourceRules.push({
          verbs: rule.verbs,
          apiGroups: rule.apiGroups ?? [],
          resources: rule.resources,
          ...(rule.resourceNames ? { resourceNames: rule.resourceNames } : {}),
        });
      }
    }
    return { resourceRules, nonResourceRules };
  }
}

/** The message the real RBAC authorizer puts into a 403. */
export function forbiddenMessage(user: UserInfo, a: AuthzAttributes): string {
  if (!a.isResourceRequest) return `forbidden: User "${user.name}" cannot ${a.verb} path "${a.path ?? ''}"`;
  const qualified = a.apiGroup ? `${a.resource}.${a.apiGroup}` : (a.resource ?? '');
  const subject = a.name ? `${qualified} "${a.name}"` : qualified;
  const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const scope = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  return `${subject} is forbidden: User "${user.name}" cannot ${a.verb} resource "${res}" in API group "${a.apiGroup ?? ''}" ${scope}`;
}
