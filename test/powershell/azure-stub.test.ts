import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TOKEN, renderArgs, runCli } from '../helpers/cli.js';
import type { PwshResult } from '../helpers/pwsh.js';
import { CUSTOM_DATA_PATH, azureBootstrap } from '../../src/cloud/azure/custom-data.js';
import { ArtifactServer } from './bootstrap/artifact-server.js';
import { NodeSim } from './bootstrap/node-sim.js';

/*
 * Azure's delivery of the bootstrap, run under PowerShell on the simulated Windows Server
 * (bootstrap/windows-sim.ps1): customData (the Azure stub, no token) as C:\AzureData\CustomData.bin
 * and the Custom Script Extension's command, which hands the stub the token from protectedSettings.
 */

const WINDOWS_CNI = 'https://github.com/microsoft/windows-container-networking/releases/download/v0.3.1/windows-container-networking-cni-amd64-v0.3.1.zip';
const SECRET = TOKEN.split('.')[1]!;

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

describe('the Azure stub under PowerShell: the token comes from the extension, not customData', function () {
  this.timeout(240_000);
  let server: ArtifactServer;

  before(async () => {
    server = new ArtifactServer();
    await server.start();
    server.publishFor({ kubernetes: '1.33.2', crictl: '1.33.0', containerd: '2.0.10' });
  });
  after(async () => server?.stop());

  it('joins with the token from -Token, resumes after the features restart, deletes CustomData.bin and leaves no token on disk; a re-run of the command ends at once', async () => {
    const r = await runCli(renderArgs(['--checksum', `windows-cni=${server.sha256Of(WINDOWS_CNI)}`]), { env: { WIN_K8S_TOKEN: TOKEN } });
    assert.equal(r.code, 0, r.stderr);
    const { customData, commandToExecute } = azureBootstrap('win-abcde', r.stdout);
    const sim = new NodeSim(server, { build: 20348, runtime: 'containerd', kubernetesVersion: '1.33.2', nodeIp: '10.0.1.15' });
    try {
      const bin = sim.place('AzureData/CustomData.bin', Buffer.from(customData, 'base64'));
      assert.ok(!readFileSync(bin, 'latin1').includes(SECRET));
      // The extension's command as the agent runs it, with the simulated drive's path (the
      // simulator's powershell.exe runs -File only). It stands for protectedSettings: the one
      // place the token is expected.
      const inner = /-Command "(.*)"$/.exec(commandToExecute)![1]!.replace(CUSTOM_DATA_PATH, bin);
      const command = sim.place('Packages/Plugins/cse-command.ps1', inner);
      const explain = (x: PwshResult) => `exit ${x.code}\n--- COM1 ---\n${sim.com1().slice(-20).join('\n')}\n--- stdout ---\n${x.stdout.slice(-3000)}\n--- stderr ---\n${x.stderr.slice(-3000)}`;

      const first = await sim.run(command);
      assert.equal(first.code, 0, explain(first));
      assert.ok(sim.com1().includes('win-k8s: reboot Windows features or the computer name need a restart'), explain(first));
      assert.ok(!sim.exists('AzureData/CustomData.bin'), 'customData deleted once the protected copy exists');
      assert.ok(readFileSync(sim.path('ProgramData/win-k8s/bootstrap.ps1'), 'utf8').includes(`$BootstrapToken = '${TOKEN}'`), 'the protected copy has the token, for the resume task');
      assert.equal(sim.state().acl[sim.path('ProgramData/win-k8s/bootstrap.ps1')]?.inheritance, 'removed');

      let last = first;
      for (let i = 0; i < 3 && sim.state().rebootRequested; i++) last = await sim.boot();
      assert.equal(last.code, 0, explain(last));
      assert.equal(sim.com1().filter((l) => !l.startsWith('win-k8s: log ')).pop(), 'win-k8s: complete done win-abcde');
      const join = sim.events('kubeadm-join').map((e) => (e.detail as { config: string }).config);
      assert.equal(join.length, 1);
      assert.match(join[0]!, new RegExp(`token: '${TOKEN.replace('.', '\\.')}'`));

      for (const file of walk(sim.drive)) {
        if (file === command) continue;
        assert.ok(!readFileSync(file, 'latin1').includes(SECRET), `the token's secret is in ${file.slice(sim.drive.length)}`);
      }
      for (const line of sim.com1()) assert.ok(!line.includes(SECRET));

      // The extension may run its command again after a restart cut it off: nothing starts twice.
      const started = sim.com1().length;
      const again = await sim.run(command);
      assert.equal(again.code, 0, explain(again));
      assert.equal(sim.com1().length, started);
    } finally {
      sim.dispose();
    }
  });

  it('refuses a -Token that is not a kubeadm token before writing anything', async () => {
    const r = await runCli(renderArgs(['--checksum', `windows-cni=${server.sha256Of(WINDOWS_CNI)}`]), { env: { WIN_K8S_TOKEN: TOKEN } });
    const { customData } = azureBootstrap('win-abcde', r.stdout);
    const sim = new NodeSim(server, { build: 20348, runtime: 'containerd', kubernetesVersion: '1.33.2' });
    try {
      const bin = sim.place('AzureData/CustomData.bin', Buffer.from(customData, 'base64'));
      const command = sim.place('Packages/Plugins/cse-command.ps1', `& ([scriptblock]::Create([IO.File]::ReadAllText('${bin}'))) -Token 'x''; evil'; exit $LASTEXITCODE`);
      const run = await sim.run(command);
      assert.notEqual(run.code, 0);
      assert.match(run.stdout + run.stderr, /not a kubeadm bootstrap token/);
      assert.ok(!sim.exists('ProgramData/win-k8s/bootstrap.ps1'));
      assert.ok(sim.exists('AzureData/CustomData.bin'));
    } finally {
      sim.dispose();
    }
  });
});
