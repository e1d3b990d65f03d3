/** Public entry point of the moto-based AWS fake (see README.md). */
export { startMoto } from './server.js';
export type { MotoServer } from './server.js';
export { startAwsProxy, runInstancesTagSpecs, nodeNameOf } from './proxy.js';
export type { AwsProxy, AwsProxyOptions, FaultRule, ProxyCall, ProxyLogEntry } from './proxy.js';
export { seedCluster, createInstanceProfile, motoEc2, motoCliEnv, FAKE_CREDENTIALS } from './seed.js';
export type { SeededCluster } from './seed.js';
export { WINDOWS_AMIS, LINUX_AMI, PUBLIC_PARAMETERS, PUBLIC_PARAMETER_PREFIX, motoAmis } from './amis.js';
export type { MotoAmi } from './amis.js';
