/** Shared types of the fake kube-apiserver. */

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }>;
  finalizers?: string[];
  [key: string]: unknown;
}

/** Any Kubernetes object as JSON. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [key: string]: unknown;
}

/** One served resource type (one entry of an APIResourceList). */
export interface ResourceType {
  /** API group, "" for core. */
  group: string;
  version: string;
  /** Plural resource name, e.g. "daemonsets". */
  resource: string;
  kind: string;
  namespaced: boolean;
  singularName?: string;
  shortNames?: string[];
  categories?: string[];
  /**
   * Subresources served: "status" (update only .status), "log" (pods), "eviction" (pods),
   * "approval" (CSRs), "finalize" (namespaces), "scale" (autoscaling/v1 Scale of workloads).
   */
  subresources?: string[];
  /**
   * Virtual create-only resources (reviews) that are computed, never stored.
   */
  virtual?: boolean;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** A change of the store, as emitted on `store.on('change')` / `fake.on('change')`. */
export interface ChangeEvent {
  type: WatchEventType;
  resource: ResourceType;
  /** The object after the change (for DELETED, the last state, with the deletion resourceVersion). */
  object: KubeObject;
  /** The object before the change (MODIFIED, DELETED). */
  oldObject?: KubeObject;
  resourceVersion: number;
}

/** Who made a request. */
export interface UserInfo {
  name: string;
  groups: string[];
  uid?: string;
  extra?: Record<string, string[]>;
}

/** A bearer-token table entry. */
export interface TokenEntry {
  user: string;
  groups?: string[];
  uid?: string;
}

/** An RBAC-like rule. `namespaces` is an extension of the fake (RBAC itself scopes by RoleBinding). */
export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
  namespaces?: string[];
}

/** Rules granted to one user or one group. */
export interface Grant {
  user?: string;
  group?: string;
  rules: PolicyRule[];
}

/** The attributes an authorizer decides on (like k8s authorizer.Attributes). */
export interface AuthzAttributes {
  verb: string;
  isResourceRequest: boolean;
  path?: string;
  apiGroup?: string;
  apiVersion?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

export interface AuthzDecision {
  allowed: boolean;
  reason: string;
}

export function apiVersionOf(rt: { group: string; version: string }): string {
  return rt.group ? `${rt.group}/${rt.version}` : rt.version;
}

/** "daemonsets.apps" or "pods": the qualified resource used in API messages. */
export function qualifiedResource(rt: { group: string; resource: string }): string {
  return rt.group ? `${rt.resource}.${rt.group}` : rt.resource;
}
