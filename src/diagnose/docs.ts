/**
 * Pages each check links to. Whole pages only: kubernetes.io reorganises often and a
 * fragment that no longer exists still "works" as a link, silently landing at the top.
 */
export const K8S_DOCS = {
  windowsIntro: 'https://kubernetes.io/docs/concepts/windows/intro/',
  windowsUserGuide: 'https://kubernetes.io/docs/concepts/windows/user-guide/',
  windowsDebug: 'https://kubernetes.io/docs/tasks/debug/debug-cluster/windows/',
  windowsNetworking: 'https://kubernetes.io/docs/concepts/services-networking/windows-networking/',
  nodeStatus: 'https://kubernetes.io/docs/reference/node/node-status/',
  versionSkew: 'https://kubernetes.io/releases/version-skew-policy/',
  containerRuntimes: 'https://kubernetes.io/docs/setup/production-environment/container-runtimes/',
  ports: 'https://kubernetes.io/docs/reference/networking/ports-and-protocols/',
  dnsDebugging: 'https://kubernetes.io/docs/tasks/administer-cluster/dns-debugging-resolution/',
  hostProcess: 'https://kubernetes.io/docs/tasks/configure-pod-container/create-hostprocess-pod/',
  nodePressure: 'https://kubernetes.io/docs/concepts/scheduling-eviction/node-pressure-eviction/',
  windowsResources: 'https://kubernetes.io/docs/concepts/configuration/windows-resource-management/',
  flannelBackends: 'https://github.com/flannel-io/flannel/blob/master/Documentation/backends.md',
  kubeadmJoin: 'https://kubernetes.io/docs/reference/setup-tools/kubeadm/kubeadm-join/',
  tlsBootstrap: 'https://kubernetes.io/docs/reference/access-authn-authz/kubelet-tls-bootstrapping/',
  authorization: 'https://kubernetes.io/docs/reference/access-authn-authz/authorization/',
} as const;
