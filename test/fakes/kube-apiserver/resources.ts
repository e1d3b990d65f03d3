/** The resource types the fake serves, and lookup by plural, kind, short name or apiVersion+kind. */
import type { KubeObject, ResourceType } from './types.js';
import { apiVersionOf } from './types.js';

function r(
  group: string,
  version: string,
  resource: string,
  kind: string,
  namespaced: boolean,
  extra: Partial<ResourceType> = {},
): ResourceType {
  return { group, version, resource, kind, namespaced, singularName: kind.toLowerCase(), ...extra };
}

/** Every resource type served by default. */
export function defaultResourceTypes(): ResourceType[] {
  return [
    // core/v1
    r('', 'v1', 'namespaces', 'Namespace', false, { shortNames: ['ns'], subresources: ['status', 'finalize'] }),
    r('', 'v1', 'nodes', 'Node', false, { shortNames: ['no'], subresources: ['status'] }),
    r('', 'v1', 'pods', 'Pod', true, { shortNames: ['po'], categories: ['all'], subresources: ['status', 'log', 'eviction'] }),
    r('', 'v1', 'services', 'Service', true, { shortNames: ['svc'], categories: ['all'], subresources: ['status'] }),
    r('', 'v1', 'endpoints', 'Endpoints', true, { shortNames: ['ep'] }),
    r('', 'v1', 'configmaps', 'ConfigMap', true, { shortNames: ['cm'] }),
    r('', 'v1', 'secrets', 'Secret', true),
    r('', 'v1', 'serviceaccounts', 'ServiceAccount', true, { shortNames: ['sa'] }),
    r('', 'v1', 'events', 'Event', true, { shortNames: ['ev'] }),
    r('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', true, { shortNames: ['pvc'], subresources: ['status'] }),
    // apps/v1
    r('apps', 'v1', 'daemonsets', 'DaemonSet', true, { shortNames: ['ds'], categories: ['all'], subresources: ['status'] }),
    r('apps', 'v1', 'deployments', 'Deployment', true, { shortNames: ['deploy'], categories: ['all'], subresources: ['status', 'scale'] }),
    r('apps', 'v1', 'replicasets', 'ReplicaSet', true, { shortNames: ['rs'], categories: ['all'], subresources: ['status', 'scale'] }),
    r('apps', 'v1', 'statefulsets', 'StatefulSet', true, { shortNames: ['sts'], categories: ['all'], subresources: ['status', 'scale'] }),
    // rbac
    r('rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', false),
    r('rbac.authorization.k8s.io', 'v1', 'clusterrolebindings', 'ClusterRoleBinding', false),
    r('rbac.authorization.k8s.io', 'v1', 'roles', 'Role', true),
    r('rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding', true),
    // misc built-ins
    r('node.k8s.io', 'v1', 'runtimeclasses', 'RuntimeClass', false),
    r('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice', true),
    r('policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget', true, { shortNames: ['pdb'], subresources: ['status'] }),
    r('certificates.k8s.io', 'v1', 'certificatesigningrequests', 'CertificateSigningRequest', false, {
      shortNames: ['csr'],
      subresources: ['status', 'approval'],
    }),
    r('coordination.k8s.io', 'v1', 'leases', 'Lease', true),
    r('scheduling.k8s.io', 'v1', 'priorityclasses', 'PriorityClass', false, { shortNames: ['pc'] }),
    r('storage.k8s.io', 'v1', 'storageclasses', 'StorageClass', false, { shortNames: ['sc'] }),
    r('apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', false, {
      shortNames: ['crd', 'crds'],
      subresources: ['status'],
    }),
    // reviews (computed, never stored)
    r('authorization.k8s.io', 'v1', 'selfsubjectaccessreviews', 'SelfSubjectAccessReview', false, { virtual: true }),
    r('authorization.k8s.io', 'v1', 'subjectaccessreviews', 'SubjectAccessReview', false, { virtual: true }),
    r('authorization.k8s.io', 'v1', 'selfsubjectrulesreviews', 'SelfSubjectRulesReview', false, { virtual: true }),
    r('authentication.k8s.io', 'v1', 'selfsubjectreviews', 'SelfSubjectReview', false, { virtual: true }),
    // CRDs commonly present in the clusters we model
    r('operator.tigera.io', 'v1', 'installations', 'Installation', false, { subresources: ['status'] }),
    r('crd.projectcalico.org', 'v1', 'ipamconfigs', 'IPAMConfig', false),
    r('crd.projectcalico.org', 'v1', 'ippools', 'IPPool', false),
  ];
}

function verbsFor(rt: ResourceType): string[] {
  if (rt.virtual) return ['create'];
  return ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
}

export class ResourceRegistry {
  private readonly types: ResourceType[] = [];

  constructor(types: ResourceType[]) {
    for (const t of types) this.add(t);
  }

  add(rt: ResourceType): void {
    const existing = this.types.findIndex((t) => t.group === rt.group && t.version === rt.version && t.resource === rt.resource);
    if (existing >= 0) this.types[existing] = rt;
    else this.types.push(rt);
  }

  all(): ResourceType[] {
    return [...this.types];
  }

  /** Group name -> versions served (in registration order). */
  groups(): Map<string, string[]> {
    const m = new Map<string, string[]>();
    for (const t of this.types) {
      const vs = m.get(t.group) ?? [];
      if (!vs.includes(t.version)) vs.push(t.version);
      m.set(t.group, vs);
    }
    return m;
  }

  inGroupVersion(group: string, version: string): ResourceType[] {
    return this.types.filter((t) => t.group === group && t.version === version);
  }

  find(group: string, version: string, resource: string): ResourceType | undefined {
    return this.types.find((t) => t.group === group && t.version === version && t.resource === resource);
  }

  /**
   * Resolve a reference: "pods", "po", "Pod", "daemonsets.apps", "installations.operator.tigera.io",
   * or an object / {apiVersion, kind}.
   */
  resolve(ref: string | { apiVersion?: string; kind?: string }): ResourceType {
    if (typeof ref !== 'string') {
      const apiVersion = ref.apiVersion ?? '';
      const slash = apiVersion.indexOf('/');
      const group = slash >= 0 ? apiVersion.slice(0, slash) : '';
      const version = slash >= 0 ? apiVersion.slice(slash + 1) : apiVersion;
      const t = this.types.find((x) => x.group === group && x.version === version && x.kind === ref.kind && !x.virtual);
      if (!t) throw new Error(`fake kube-apiserver: no resource serves ${apiVersion || '<no apiVersion>'} ${ref.kind ?? '<no kind>'}`);
      return t;
    }
    const dot = ref.indexOf('.');
    const name = dot >= 0 ? ref.slice(0, dot) : ref;
    const group = dot >= 0 ? ref.slice(dot + 1) : undefined;
    const candidates = this.types.filter((t) => group === undefined || t.group === group);
    const lower = name.toLowerCase();
    const t =
      candidates.find((x) => x.resource === lower) ??
      candidates.find((x) => x.kind === name) ??
      candidates.find((x) => x.singularName === lower) ??
      candidates.find((x) => (x.shortNames ?? []).includes(lower));
    if (!t) throw new Error(`fake kube-apiserver: unknown resource ${ref}`);
    return t;
  }

  /** Register the served versions of a CustomResourceDefinition object. Returns the types added. */
  addFromCrd(crd: KubeObject): ResourceType[] {
    const spec = (crd['spec'] ?? {}) as {
      group?: string;
      scope?: string;
      names?: { plural?: string; singular?: string; kind?: string; shortNames?: string[]; categories?: string[] };
      versions?: Array<{ name: string; served?: boolean; subresources?: { status?: unknown } }>;
    };
    const added: ResourceType[] = [];
    if (!spec.group || !spec.names?.plural || !spec.names.kind) return added;
    for (const v of spec.versions ?? []) {
      if (v.served === false) continue;
      const rt: ResourceType = {
        group: spec.group,
        version: v.name,
        resource: spec.names.plural,
        kind: spec.names.kind,
        namespaced: spec.scope !== 'Cluster',
        singularName: spec.names.singular ?? spec.names.kind.toLowerCase(),
        ...(spec.names.shortNames ? { shortNames: spec.names.shortNames } : {}),
        ...(spec.names.categories ? { categories: spec.names.categories } : {}),
        ...(v.subresources?.status !== undefined ? { subresources: ['status'] } : {}),
      };
      if (!this.find(rt.group, rt.version, rt.resource)) {
        this.add(rt);
        added.push(rt);
      }
    }
    return added;
  }

  /** The APIResourceList of one group/version, as /api/v1 or /apis/<g>/<v> serve it. */
  apiResourceList(group: string, version: string): KubeObject {
    const resources: unknown[] = [];
    for (const t of this.inGroupVersion(group, version)) {
      resources.push({
        name: t.resource,
        singularName: t.singularName ?? t.kind.toLowerCase(),
        namespaced: t.namespaced,
        kind: t.kind,
        verbs: verbsFor(t),
        ...(t.shortNames ? { shortNames: t.shortNames } : {}),
        ...(t.categories ? { categories: t.categories } : {}),
      });
      for (const sub of t.subresources ?? []) {
        if (sub === 'status' || sub === 'approval') {
          resources.push({ name: `${t.resource}/${sub}`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: ['get', 'patch', 'update'] });
        } else if (sub === 'log') {
          resources.push({ name: `${t.resource}/log`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: ['get'] });
        } else if (sub === 'eviction') {
          resources.push({ name: `${t.resource}/eviction`, singularName: '', namespaced: t.namespaced, group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] });
        } else if (sub === 'scale') {
          resources.push({ name: `${t.resource}/scale`, singularName: '', namespaced: t.namespaced, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
        } else if (sub === 'finalize') {
          resources.push({ name: `${t.resource}/finalize`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: ['update'] });
        }
      }
    }
    return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf({ group, version }), resources };
  }

  apiGroupList(): KubeObject {
    const groups: unknown[] = [];
    for (const [name, versions] of this.groups()) {
      if (name === '') continue;
      const vs = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
      groups.push({ name, versions: vs, preferredVersion: vs[0] });
    }
    return { kind: 'APIGroupList', apiVersion: 'v1', groups };
  }
}
