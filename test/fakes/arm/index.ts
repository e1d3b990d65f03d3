/** Public entry point of the fake Azure Resource Manager (see server.ts). */
export { startFakeArm, readBootstrap, adminPasswordOf, FAKE_ARM_ENDPOINT } from './server.js';
export type { FakeArm, ArmCall, ArmFaults, DeliveredBootstrap } from './server.js';
