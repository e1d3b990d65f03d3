/** Public entry point of the fake kube-apiserver (see README.md). */
export { FakeKubeApiServer, bootstrapTokenSecret } from './server.js';
export type {
  FakeKubeApiServerOptions,
  FaultHandle,
  FaultRequest,
  FaultSpec,
  RequestLogEntry,
  SeedContext,
  VersionInfo,
} from './server.js';
export { ObjectStore } from './store.js';
export type { ResourceRef, StoreListOptions } from './store.js';
export { ResourceRegistry, defaultResourceTypes } from './resources.js';
export { ApiError, statusBody } from './status.js';
export { authenticateBootstrapToken } from './auth.js';
export * from './builders.js';
export * from './fixtures.js';
export type * from './types.js';
export { SimulatedKubelet } from './kubelet.js';
export type { ContainerOutcome, PodOutcome, SimulatedKubeletOptions } from './kubelet.js';
export { kubeletConfigForFlags, windowsKubeletConfig, windowsSummary } from './kubelet-documents.js';
export type { KubeletConfigDoc, SummaryOptions, SummaryPod } from './kubelet-documents.js';
