import type { ConfigFile, ConfigFileInput } from '../config/schema.js';

/**
 * The configuration a plan was built from, every default filled in, in the form win-k8s.yaml
 * takes (JSON is YAML): `plan -o json | jq .config > win-k8s.yaml` and `-c win-k8s.yaml` plan
 * the same pool again, as eksctl's --dry-run prints a ClusterConfig. Per-run values are left
 * out (the output format), and so is the bootstrap token: a secret is never printed.
 */
export function configDocument(config: ConfigFile): ConfigFileInput {
  const { apiVersion: _apiVersion, kind: _kind, output: _output, cluster, ...rest } = config;
  const { token: _token, tokenTtl, ...clusterRest } = cluster;
  return {
    apiVersion: 'win-k8s.io/v1alpha1',
    kind: 'Config',
    ...rest,
    // Held as seconds once validated; the file takes a duration.
    cluster: { ...clusterRest, tokenTtl: `${tokenTtl}s` },
  };
}
