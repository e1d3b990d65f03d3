/** Public entry point of the fake Azure Resource Manager (see server.ts). */
export { startFakeArm, readBootstrap, adminPasswordOf, sizeOffersNestedVirtualization, FAKE_ARM_ENDPOINT } from './server.js';
export type { FakeArm, FakeArmOptions, ArmCall, ArmFaults, DeliveredBootstrap, RunCommandHandler, CustomScriptRun } from './server.js';
