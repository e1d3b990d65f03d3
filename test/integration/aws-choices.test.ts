import assert from 'node:assert/strict';
import { createAwsProvider } from '../../src/cloud/aws/provider.js';
import { FAKE_CREDENTIALS, seedCluster, startMoto, type MotoServer } from '../fakes/moto/index.js';
import { parseProviderId } from '../../src/cluster/provider-id.js';

describe('AWS choices for init (against moto)', function () {
  this.timeout(60_000);
  let moto: MotoServer;
  before(async () => {
    moto = await startMoto();
  });
  after(() => moto?.stop());

  it('lists the control plane VPC\'s subnets and the instance types the region offers', async () => {
    const seeded = await seedCluster(moto.url, { cluster: 'choices' });
    const env = { AWS_ACCESS_KEY_ID: FAKE_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: FAKE_CREDENTIALS.secretAccessKey };
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      const provider = createAwsProvider({ sink: () => {}, diskSizeGb: 100, edition: 'core', endpoint: moto.url, env: { ...env, AWS_REGION: 'us-east-1' } });
      const choices = await provider.wizardChoices!({ controlPlane: parseProviderId(seeded.providerId) });
      assert.deepEqual(choices.subnets.map((s) => s.id).sort(), [seeded.subnetId, seeded.otherSubnetId].sort());
      assert.ok(choices.subnets.every((s) => s.network === seeded.vpcId));
      assert.ok(choices.instanceTypes.includes('m5.large'), choices.instanceTypes.join(','));
    } finally {
      for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k];
    }
  });
});
