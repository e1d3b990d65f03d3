// Deep imports: the package's index loads every Compute client (about 2 s); these are the ones used.
import { FirewallsClient } from '@google-cloud/compute/build/src/v1/firewalls_client.js';
import { GlobalOperationsClient } from '@google-cloud/compute/build/src/v1/global_operations_client.js';
import { ImagesClient } from '@google-cloud/compute/build/src/v1/images_client.js';
import { InstancesClient } from '@google-cloud/compute/build/src/v1/instances_client.js';
import { MachineTypesClient } from '@google-cloud/compute/build/src/v1/machine_types_client.js';
import { RegionsClient } from '@google-cloud/compute/build/src/v1/regions_client.js';
import { SubnetworksClient } from '@google-cloud/compute/build/src/v1/subnetworks_client.js';
import { ZoneOperationsClient } from '@google-cloud/compute/build/src/v1/zone_operations_client.js';

export type { protos } from '@google-cloud/compute/build/src/index.js';

/**
 * What google-gax needs of an auth client: it calls `fetch` for every request. google-gax
 * brings its own google-auth-library (10.x), so win-k8s depends on none; a client from an older
 * google-auth-library lacks `fetch`, so a caller-made client must provide it (tests pass a
 * header-less one).
 */
export interface GceAuthClient {
  fetch(url: string, init: unknown): Promise<unknown>;
  getRequestHeaders?(): Promise<unknown>;
  universeDomain?: string;
}

/**
 * An auth client that sends no credentials: for emulators and test fakes only (a custom
 * apiEndpoint over http). google-gax sends every request through its `fetch`.
 */
export function anonymousAuthClient(): GceAuthClient {
  return {
    universeDomain: 'googleapis.com',
    getRequestHeaders: async () => new Headers(),
    fetch: (url: string, init: unknown) => fetch(url, init as RequestInit),
  };
}

export interface GceClients {
  instances: InstancesClient;
  zoneOperations: ZoneOperationsClient;
  globalOperations: GlobalOperationsClient;
  firewalls: FirewallsClient;
  images: ImagesClient;
  machineTypes: MachineTypesClient;
  regions: RegionsClient;
  subnetworks: SubnetworksClient;
  endpoint: string | undefined;
  /** Resolves once Application Default Credentials are loaded (at once with an authClient). */
  authenticate(): Promise<void>;
  close(): Promise<void>;
}

export interface ClientOptions {
  authClient?: GceAuthClient | undefined;
  apiEndpoint?: string | undefined;
  port?: number | undefined;
  protocol?: 'http' | 'https' | undefined;
}

export function createClients(o: ClientOptions): GceClients {
  // REST (fallback) rather than gRPC: Compute Engine is a REST API, and it keeps @grpc/grpc-js unloaded.
  const config: Record<string, unknown> = { fallback: true };
  const gax = config as NonNullable<ConstructorParameters<typeof InstancesClient>[0]>;
  if (o.apiEndpoint) config.apiEndpoint = o.apiEndpoint;
  if (o.port !== undefined) config.port = o.port;
  if (o.protocol) config.protocol = o.protocol;
  // Without authClient, google-gax builds a GoogleAuth: Application Default Credentials.
  if (o.authClient) config.authClient = o.authClient;
  const instances = new InstancesClient(gax);
  // One GoogleAuth for all clients: the credentials are looked up and refreshed once, not seven times.
  const shared = o.authClient ? gax : { ...gax, auth: instances.auth };
  const clients = {
    instances,
    zoneOperations: new ZoneOperationsClient(shared),
    globalOperations: new GlobalOperationsClient(shared),
    firewalls: new FirewallsClient(shared),
    images: new ImagesClient(shared),
    machineTypes: new MachineTypesClient(shared),
    regions: new RegionsClient(shared),
    subnetworks: new SubnetworksClient(shared),
  };
  if (!o.authClient) {
    // A service account key then signs a self-signed JWT carrying the scopes, as Google's other
    // client libraries do by default (AIP-4111), instead of trading it for an access token at
    // oauth2.googleapis.com. Without this google-gax 5 does that trade whenever apiEndpoint is
    // set (the client adds explicit scopes for custom endpoints), so a Private Service Connect
    // endpoint would still need the public token endpoint. Other credential types (gcloud user
    // credentials, the metadata server) ignore the flag.
    instances.auth.useJWTAccessWithScope = true;
  }
  let authenticated: Promise<void> | undefined;
  const endpoint = o.apiEndpoint ? `${o.protocol ?? 'https'}://${o.apiEndpoint}${o.port !== undefined ? `:${o.port}` : ''}` : undefined;
  return {
    ...clients,
    endpoint,
    // Each generated method calls initialize() and re-throws its failure on a promise nobody
    // awaits: credentials that cannot be loaded would crash the process with an unhandled
    // rejection. Loading them here first turns that into an ordinary error of the first call.
    authenticate: () =>
      (authenticated ??= o.authClient
        ? Promise.resolve()
        : instances.auth.getClient().then(() => undefined)),
    close: async () => {
      await Promise.all(Object.values(clients).map((c) => c.close().catch(() => undefined)));
    },
  };
}
