import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type * as k8s from '@kubernetes/client-node';
import { DEFAULT_WINDOWS_VERSION, kubernetesSupportedReleases, WINDOWS_RELEASES, WINDOWS_VERSIONS, windowsReleaseForBuild, type WindowsVersion } from '../../src/compat/windows.js';
import { evaluate, RULE_IDS, refusedFindings, type Target } from '../../src/compat/matrix.js';
import { defaultContainerdVersion, sandboxImage } from '../../src/compat/runtime.js';
import { compareVersions } from '../../src/compat/versions.js';
import { targetOptions } from '../../src/config/options.js';
import { PoolSection } from '../../src/config/schema.js';
import { windowsChoices } from '../../src/init/wizard.js';
import { desiredRuntimeClasses, runtimeClassNameForBuild } from '../../src/cluster/runtime-classes.js';
import { CHECKS, SANDBOX_CAUSES } from '../../src/diagnose/checks.js';
import { NODE_HOST_CHECKS } from '../../src/diagnose/node-host-checks.js';
import { extractNodeReport, NODE_REPORT_BEGIN, NODE_REPORT_END, type NodeReport } from '../../src/diagnose/node-report.js';
import type { Snapshot } from '../../src/diagnose/types.js';
import { imageCandidates } from '../../src/cloud/aws/images.js';
import { resolveImage as azureImage } from '../../src/cloud/azure/images.js';
import { imageFamily } from '../../src/cloud/gcp/images.js';
import { UsageError } from '../../src/errors.js';

/**
 * Every place that differs by Windows release reads WINDOWS_RELEASES: these tests walk the
 * table and ask each derived place about each row, so a new row that one place misses, or a
 * place that spells a version out again, fails here.
 */
const releases = WINDOWS_VERSIONS.map((v) => WINDOWS_RELEASES[v]);
const current = kubernetesSupportedReleases();

describe('WINDOWS_RELEASES: the one table of Windows releases', () => {
  it('is keyed by version, oldest first, with labels and tags derived from the build', () => {
    assert.deepEqual(WINDOWS_VERSIONS, ['2016', '2019', '2022', '2025']);
    for (const [key, r] of Object.entries(WINDOWS_RELEASES)) {
      assert.equal(r.version, key);
      assert.equal(r.buildLabel, `10.0.${r.build}`);
      assert.equal(r.imageTag, `ltsc${key}`);
      assert.equal(windowsReleaseForBuild(r.build), r);
    }
    assert.deepEqual(releases.map((r) => r.build), [...releases.map((r) => r.build)].sort((a, b) => a - b));
  });

  it('is where the flag choices, the schema enum and the default come from', () => {
    assert.deepEqual(targetOptions.windowsVersion.choices, WINDOWS_VERSIONS);
    assert.equal(targetOptions.windowsVersion.defaultText, DEFAULT_WINDOWS_VERSION);
    assert.equal(PoolSection.parse({}).windowsVersion, DEFAULT_WINDOWS_VERSION);
    for (const v of WINDOWS_VERSIONS) {
      assert.equal(PoolSection.parse({ windowsVersion: v }).windowsVersion, v);
      assert.equal(PoolSection.parse({ windowsVersion: Number(v) }).windowsVersion, v, 'YAML reads 2022 as a number');
    }
    assert.equal(PoolSection.safeParse({ windowsVersion: '2028' }).success, false);
  });

  it('gives each release its sandbox image (pinned: the bootstrap scripts carry these)', () => {
    const pinned: Record<WindowsVersion, string> = {
      '2016': 'mcr.microsoft.com/oss/kubernetes/pause:1.4.1',
      '2019': 'registry.k8s.io/pause:3.10.1',
      '2022': 'registry.k8s.io/pause:3.10.1',
      '2025': 'registry.k8s.io/pause:3.10.2',
    };
    for (const r of releases) {
      assert.equal(sandboxImage(r.version), r.sandbox.image);
      assert.equal(sandboxImage(r.version), pinned[r.version]);
      // The pause image's own tag must carry the release's build, from the first multi-arch version.
      if (r.sandbox.multiArchPauseFrom !== null && r.sandbox.image.startsWith('registry.k8s.io/pause:')) {
        assert.ok(compareVersions(r.sandbox.image.split(':')[1]!, r.sandbox.multiArchPauseFrom) >= 0, r.version);
      }
    }
  });

  describe('each cloud reads its column for each release', () => {
    const pinned: Record<WindowsVersion, { aws: string; azure: { full: string; core: string }; gcp: { full: string; core: string } | null }> = {
      '2016': { aws: 'Windows_Server-2016-English', azure: { full: '2016-Datacenter', core: '2016-Datacenter-Server-Core' }, gcp: null },
      '2019': { aws: 'Windows_Server-2019-English', azure: { full: '2019-Datacenter', core: '2019-Datacenter-Core' }, gcp: { full: 'windows-2019', core: 'windows-2019-core' } },
      '2022': { aws: 'Windows_Server-2022-English', azure: { full: '2022-datacenter-g2', core: '2022-datacenter-core-g2' }, gcp: { full: 'windows-2022', core: 'windows-2022-core' } },
      '2025': { aws: 'Windows_Server-2025-English', azure: { full: '2025-datacenter-g2', core: '2025-datacenter-core-g2' }, gcp: { full: 'windows-2025', core: 'windows-2025-core' } },
    };
    for (const r of releases) {
      for (const edition of ['full', 'core'] as const) {
        it(`${r.version} ${edition}`, () => {
          const want = pinned[r.version];
          const suffix = edition === 'full' ? 'Full' : 'Core';
          assert.deepEqual(imageCandidates(r.version, edition).map((c) => c.parameter), [`/aws/service/ami-windows-latest/${r.images.aws.parameterStem}-${suffix}-Base`]);
          assert.equal(r.images.aws.parameterStem, want.aws);

          const azure = azureImage({ windowsVersion: r.version, edition });
          assert.equal(azure.id, `MicrosoftWindowsServer:WindowsServer:${r.images.azure[edition]}:latest`);
          assert.equal(r.images.azure[edition], want.azure[edition]);

          if ('notOffered' in r.images.gcp) {
            assert.equal(want.gcp, null);
            let refused: unknown;
            try {
              imageFamily(r.version, edition);
            } catch (err) {
              refused = err;
            }
            assert.ok(refused instanceof UsageError && refused.exitCode === 2, 'a release GCP does not offer is a usage error');
            assert.equal(refused.field, '--windows-version');
            assert.match(refused.message, new RegExp(`${r.version} is not offered on Compute Engine by win-k8s: ${r.images.gcp.notOffered.replace(/[()]/g, '\\$&')}`));
            const offered = releases.filter((o) => !('notOffered' in o.images.gcp)).map((o) => o.version);
            for (const v of offered) assert.match(refused.hint ?? '', new RegExp(v));
          } else {
            assert.equal(imageFamily(r.version, edition), r.images.gcp[edition]);
            assert.equal(r.images.gcp[edition], want.gcp?.[edition]);
          }
        });
      }
    }
  });

  it('says which Kubernetes minors run each release, and the matrix follows it', () => {
    const target = (r: (typeof releases)[number], minor: number): Target => {
      const kubernetesVersion = `1.${minor}.0`;
      return r.containerd
        ? { windowsVersion: r.version, kubernetesVersion, runtime: 'containerd', cni: 'flannel', hypervIsolation: false, containerdVersion: defaultContainerdVersion(kubernetesVersion) }
        : { windowsVersion: r.version, kubernetesVersion, runtime: 'docker', cni: 'none', hypervIsolation: false };
    };
    const windowsRules = (t: Target) => evaluate(t).findings.filter((f) => f.rule.startsWith('windows-')).map((f) => `${f.severity}:${f.rule}`);
    for (const r of releases) {
      const { from, until, unlistedFrom } = r.kubernetes;
      const windowsErrors = (minor: number) => windowsRules(target(r, minor)).filter((x) => x.startsWith('error:') && x !== 'error:windows-2016-bootstrap');
      if (until) {
        assert.deepEqual(windowsErrors(until.minor), [], `${r.version} on 1.${until.minor}`);
        assert.deepEqual(windowsErrors(until.minor + 1), [`error:windows-${r.version}-kubernetes`]);
        continue;
      }
      assert.deepEqual(windowsErrors(from.minor), [], `${r.version} on its first minor 1.${from.minor}`);
      assert.ok(windowsErrors(from.minor - 1).length > 0, `${r.version} is refused on 1.${from.minor - 1}`);
      // With the default runtime from the release's first minor, nothing is refused at all
      // (up to the last minor before it stops being listed).
      const lastListed = unlistedFrom ? unlistedFrom.minor - 1 : from.minor + 2;
      for (let minor = Math.max(from.minor, 20); minor <= lastListed && minor <= 37; minor++) {
        assert.deepEqual(refusedFindings(evaluate(target(r, minor)).findings, false), [], `${r.version} on 1.${minor}`);
      }
      if (unlistedFrom) assert.ok(windowsRules(target(r, unlistedFrom.minor)).includes(`warning:windows-${r.version}-untested`));
      const plus = /Kubernetes 1\.(\d+)\+/.exec(r.label);
      if (plus) assert.equal(Number(plus[1]), from.minor, `${r.version}'s label names its first minor`);
    }
    // Rules made from the table are named after its rows.
    for (const id of RULE_IDS.filter((id) => /^windows-\d+-/.test(id))) {
      assert.ok(WINDOWS_VERSIONS.includes(/^windows-(\d+)-/.exec(id)![1] as WindowsVersion), id);
    }
  });

  it('is what init offers: containerd releases the cluster supports, the default first', () => {
    assert.deepEqual(windowsChoices('1.19.0'), [], 'no release with containerd before 1.20');
    const containerd = releases.filter((r) => r.containerd).map((r) => r.version);
    const offered = windowsChoices(undefined);
    assert.equal(offered[0], DEFAULT_WINDOWS_VERSION);
    assert.deepEqual([...offered].sort(), [...containerd].sort());
    for (const r of releases.filter((x) => x.containerd)) {
      // containerd on Windows needs Kubernetes 1.20: before it nothing is offered (init says why).
      const first = Math.max(r.kubernetes.from.minor, 20);
      assert.ok(windowsChoices(`1.${first}.0`).includes(r.version), `${r.version} on its first minor with containerd`);
      if (r.kubernetes.from.minor > 20) assert.ok(!windowsChoices(`1.${r.kubernetes.from.minor - 1}.0`).includes(r.version), `${r.version} before its first minor`);
    }
  });

  it('is where RuntimeClasses come from: one per containerd release, none for Docker-only ones', () => {
    for (const r of releases) assert.equal(runtimeClassNameForBuild(r.buildLabel), r.containerd ? `windows-${r.version}` : undefined);
    const { classes, skipped } = desiredRuntimeClasses({ builds: releases.map((r) => r.buildLabel), taintWindows: false, hyperv: false });
    assert.deepEqual(classes.map((c) => c.metadata?.name), releases.filter((r) => r.containerd).map((r) => `windows-${r.version}`));
    for (const s of skipped) {
      for (const r of releases.filter((x) => x.containerd)) assert.match(s.reason, new RegExp(r.version));
    }
  });

  describe('is how diagnose recognises builds', () => {
    const nodeOf = (build: string): k8s.V1Node => ({
      metadata: { name: 'win-1', labels: { 'kubernetes.io/os': 'windows', 'node.kubernetes.io/windows-build': build } },
      status: { nodeInfo: { containerRuntimeVersion: 'containerd://2.0.10' } as k8s.V1NodeSystemInfo },
    });
    const report = (build: number, sandbox: string): NodeReport => {
      const doc = JSON.parse(readFileSync(new URL('../fixtures/node-checks/healthy-containerd-flannel.json', import.meta.url), 'utf8')) as Record<string, any>;
      doc['os'].build = build;
      doc['containerd'].sandboxImage = sandbox;
      const r = extractNodeReport(`${NODE_REPORT_BEGIN}\n${JSON.stringify(doc)}\n${NODE_REPORT_END}\n`);
      if ('error' in r) throw new Error(r.error);
      return r.report;
    };
    const snap = (n: k8s.V1Node, r?: NodeReport): Snapshot =>
      ({ serverVersion: 'v1.35.0', facts: { cni: { type: 'none' } }, windowsNodes: [n], pods: [], events: [], dnsSlices: [], ...(r ? { nodeReports: new Map([['win-1', { report: r }]]) } : {}) }) as unknown as Snapshot;
    const apiCheck = CHECKS.find((c) => c.id === 'node.windows-build')!;
    const hostCheck = (id: string) => NODE_HOST_CHECKS.find((c) => c.id === id)!;

    for (const r of releases) {
      it(`${r.version} (${r.buildLabel})`, () => {
        const n = nodeOf(r.buildLabel);
        const api = apiCheck.run(snap(n), n);
        const os = hostCheck('node.host.os-patch').run(snap(n, report(r.build, r.sandbox.image)), n);
        if (current.includes(r)) {
          assert.equal(api.status, 'pass', api.message);
          assert.match(api.message, new RegExp(`${r.version}.*${r.imageTag}`));
          assert.equal(os.status, 'pass', os.message);
        } else {
          assert.equal(api.status, 'fail', api.message);
          assert.equal(os.status, 'fail', os.message);
          for (const c of current) assert.match(api.hint ?? '', new RegExp(`${c.buildLabel} \\(${c.version}\\)`));
        }
        if (!r.containerd) return;
        const sandbox = (image: string) => hostCheck('node.host.sandbox-image').run(snap(n, report(r.build, image)), n);
        // Its own sandbox image, and images tagged with its tag, aliases or build, match it...
        assert.equal(sandbox(r.sandbox.image).status, 'pass', r.sandbox.image);
        for (const tag of [r.imageTag, ...r.tagAliases, String(r.build)]) assert.equal(sandbox(`example.com/pause:${tag}`).status, 'pass', tag);
        // ...another containerd release's tag does not...
        for (const other of releases.filter((o) => o.containerd && o !== r)) {
          const o = sandbox(`example.com/pause:${other.imageTag}`);
          assert.equal(o.status, 'fail', other.imageTag);
          assert.match(o.message, new RegExp(`built for ${other.buildLabel.replace(/\./g, '\\.')}`));
        }
        // ...and a multi-arch pause older than the first one with its build is refused.
        const from = r.sandbox.multiArchPauseFrom!;
        assert.equal(sandbox(`registry.k8s.io/pause:${from}`).status, 'pass');
        const [major, minor] = from.split('.').map(Number) as [number, number];
        const older = sandbox(`registry.k8s.io/pause:${major}.${minor - 1}`);
        assert.equal(older.status, 'fail');
        assert.match(older.message, new RegExp(`needs ${from.replace(/\./g, '\\.')} or newer`));
      });
    }

    it('names the containerd releases\' tags in the sandbox mismatch hint', () => {
      const hint = SANDBOX_CAUSES.find((c) => /host operating system/.test(c.pattern.source))!.hint;
      assert.ok(hint.includes(releases.filter((r) => r.containerd).map((r) => r.imageTag).join('/')));
    });
  });
});
