import assert from 'node:assert/strict';
import { evaluate, RULE_IDS, type Target } from '../../src/compat/matrix.js';
import { criSocket, defaultContainerdVersion, defaultDockerVersion, containerdConfigVersion, sandboxImage } from '../../src/compat/runtime.js';
import { kubeletFlags, kubeProxyFlags, removedKubeletFlags } from '../../src/compat/flags.js';
import { crictlArtifact, hasKubeLogRunner, kubeLogRunnerRotates } from '../../src/compat/artifacts.js';
import { kubeadmApiVersion } from '../../src/bootstrap/render.js';

const t = (w: Target['windowsVersion'], k: string, runtime: Target['runtime'] = 'containerd', cni: Target['cni'] = 'flannel', extra: Partial<Target> = {}): Target => ({
  windowsVersion: w,
  kubernetesVersion: k,
  runtime,
  cni,
  hypervIsolation: false,
  ...extra,
});

describe('compat matrix, row by row', () => {
  // [target, supported, rule ids expected among the errors]
  const rows: [string, Target, boolean, string[]][] = [
    ['2016 docker none 1.13 (kubernetes: yes; win-k8s needs kubeadm 1.16)', t('2016', '1.13.12', 'docker', 'none'), false, ['bootstrap-kubeadm-windows', 'windows-2016-bootstrap']],
    ['2016 docker none 1.14', t('2016', '1.14.10', 'docker', 'none'), false, ['windows-2016-kubernetes', 'bootstrap-kubeadm-windows', 'windows-2016-bootstrap']],
    ['2016 containerd', t('2016', '1.13.12', 'containerd', 'none'), false, ['windows-2016-runtime', 'containerd-minimum-kubernetes', 'bootstrap-kubeadm-windows', 'windows-2016-bootstrap']],
    ['2016 flannel', t('2016', '1.13.12', 'docker', 'flannel'), false, ['windows-2016-cni', 'bootstrap-kubeadm-windows', 'windows-2016-bootstrap']],
    ['2016 on 1.33', t('2016', '1.33.2', 'containerd', 'flannel'), false, ['windows-2016-kubernetes', 'windows-2016-runtime', 'windows-2016-cni', 'windows-2016-bootstrap']],
    ['2019 on 1.13', t('2019', '1.13.12', 'docker', 'flannel'), false, ['windows-2019-minimum', 'bootstrap-kubeadm-windows']],
    ['2019 docker 1.16', t('2019', '1.16.15', 'docker', 'flannel'), true, []],
    ['2019 containerd 1.19', t('2019', '1.19.16'), false, ['containerd-minimum-kubernetes']],
    ['2019 containerd 1.20', t('2019', '1.20.15'), true, []],
    ['2019 containerd 1.33', t('2019', '1.33.2'), true, []],
    ['2019 containerd 1.37 (warned)', t('2019', '1.37.1'), true, []],
    ['2022 on 1.22', t('2022', '1.22.17'), false, ['windows-2022-minimum']],
    ['2022 on 1.23', t('2022', '1.23.17'), true, []],
    ['2022 docker 1.24 (cri-dockerd)', t('2022', '1.24.17', 'docker'), true, []],
    ['2025 on 1.34', t('2025', '1.34.11'), false, ['windows-2025-minimum']],
    ['2025 on 1.35', t('2025', '1.35.9'), true, []],
    ['calico docker', t('2022', '1.33.2', 'docker', 'calico'), false, ['calico-needs-containerd']],
    ['calico 1.25', t('2022', '1.25.16', 'containerd', 'calico'), false, ['calico-needs-hostprocess']],
    ['calico 1.26', t('2022', '1.26.15', 'containerd', 'calico'), true, []],
    ['none docker 1.30', t('2022', '1.30.14', 'docker', 'none'), true, []],
    ['hyperv docker', t('2022', '1.33.2', 'docker', 'flannel', { hypervIsolation: true }), false, ['hyperv-needs-containerd']],
    ['hyperv containerd', t('2022', '1.33.2', 'containerd', 'flannel', { hypervIsolation: true }), true, []],
    ['containerd 1.5', t('2022', '1.30.14', 'containerd', 'flannel', { containerdVersion: '1.5.18' }), false, ['containerd-minimum-version']],
    ['containerd 1.7 on 1.35', t('2022', '1.35.9', 'containerd', 'flannel', { containerdVersion: '1.7.33' }), true, []],
    ['containerd 1.7 on 1.36', t('2022', '1.36.4', 'containerd', 'flannel', { containerdVersion: '1.7.33' }), false, ['containerd-1x-dropped']],
    ['containerd 2.3 on 1.36', t('2022', '1.36.4', 'containerd', 'flannel', { containerdVersion: '2.3.4' }), true, []],
  ];
  for (const [name, target, supported, errors] of rows) {
    it(name, () => {
      const v = evaluate(target);
      assert.equal(v.supported, supported, JSON.stringify(v.findings, null, 1));
      const got = v.findings.filter((f) => f.severity === 'error').map((f) => f.rule);
      assert.deepEqual(got.sort(), [...errors].sort());
      for (const f of v.findings) {
        assert.match(f.source, /^https:\/\//, `rule ${f.rule} cites a source`);
        if (f.severity === 'error') assert.ok(f.instead, `rule ${f.rule} says what to choose instead`);
      }
    });
  }

  it('warns (does not refuse) where upstream support ended', () => {
    const rules = (target: Target) => evaluate(target).findings.filter((f) => f.severity === 'warning').map((f) => f.rule);
    assert.ok(rules(t('2019', '1.37.1')).includes('windows-2019-untested'));
    assert.ok(rules(t('2022', '1.30.14')).includes('kubernetes-end-of-life'));
    assert.ok(rules(t('2022', '1.38.0')).includes('kubernetes-newer-than-known'));
    assert.ok(rules(t('2022', '1.33.2', 'containerd', 'flannel', { containerdVersion: '1.6.39' })).includes('containerd-minimum-version'));
    assert.deepEqual(rules(t('2022', '1.37.1')), []);
  });

  it('every rule is exercised by some row', () => {
    const seen = new Set<string>();
    const samples = [...rows.map((r) => r[1]), t('2019', '1.37.1'), t('2022', '1.30.14'), t('2022', '1.38.0'), t('2022', '1.24.17', 'docker'), t('2022', '1.33.2', 'containerd', 'flannel', { hypervIsolation: true })];
    for (const s of samples) for (const f of evaluate(s).findings) seen.add(f.rule);
    assert.deepEqual(RULE_IDS.filter((id) => !seen.has(id)), []);
  });
});

describe('compat: runtime defaults', () => {
  it('matches containerd to the Kubernetes minor (containerd RELEASES.md)', () => {
    assert.equal(defaultContainerdVersion('1.24.17'), '1.7.33');
    assert.equal(defaultContainerdVersion('1.31.14'), '1.7.33');
    assert.equal(defaultContainerdVersion('1.32.13'), '2.0.10');
    assert.equal(defaultContainerdVersion('1.34.11'), '2.0.10');
    assert.equal(defaultContainerdVersion('1.35.9'), '2.2.5');
    assert.equal(defaultContainerdVersion('1.37.1'), '2.3.4');
    for (const minor of [20, 25, 30, 33, 36, 37]) {
      assert.ok(evaluate(t('2022', `1.${minor}.0`, 'containerd', 'none', { containerdVersion: defaultContainerdVersion(`1.${minor}.0`) })).findings.every((f) => f.rule !== 'containerd-1x-dropped'));
    }
  });
  it('uses containerd config version 3 from 2.0', () => {
    assert.equal(containerdConfigVersion('1.7.33'), 2);
    assert.equal(containerdConfigVersion('2.0.0'), 3);
  });
  it('picks Docker for dockershim before 1.24 and current Docker after', () => {
    assert.equal(defaultDockerVersion('1.23.17'), '20.10.24');
    assert.equal(defaultDockerVersion('1.24.0'), '29.2.1');
  });
  it('knows the CRI socket per runtime and era', () => {
    assert.equal(criSocket('containerd', '1.33.2'), 'npipe:////./pipe/containerd-containerd');
    assert.equal(criSocket('docker', '1.23.17'), 'npipe:////./pipe/docker_engine');
    assert.equal(criSocket('docker', '1.24.0'), 'npipe:////./pipe/cri-dockerd');
  });
  it('picks the pause image per Windows build (3.10.2 is the first with ltsc2025)', () => {
    assert.equal(sandboxImage('2025'), 'registry.k8s.io/pause:3.10.2');
    assert.equal(sandboxImage('2022'), 'registry.k8s.io/pause:3.10.1');
    assert.equal(sandboxImage('2019'), 'registry.k8s.io/pause:3.10.1');
  });
  it('pins crictl and kubeadm API versions to the minor', () => {
    assert.equal(crictlArtifact('1.33.2').version, '1.33.0');
    // crictl 1.36 is the newest cri-tools release: newer clusters use it rather than a guessed tag.
    assert.equal(crictlArtifact('1.37.1').version, '1.36.0');
    assert.equal(crictlArtifact('1.40.0').version, '1.36.0');
    assert.equal(kubeadmApiVersion('1.21.14'), 'kubeadm.k8s.io/v1beta2');
    assert.equal(kubeadmApiVersion('1.30.14'), 'kubeadm.k8s.io/v1beta3');
    assert.equal(kubeadmApiVersion('1.31.0'), 'kubeadm.k8s.io/v1beta4');
    assert.equal(hasKubeLogRunner('1.22.17'), false);
    assert.equal(hasKubeLogRunner('1.23.0'), true);
    // Rotation flags arrived in kube-log-runner 1.34; older runners exit on unknown flags.
    assert.equal(kubeLogRunnerRotates('1.33.2'), false);
    assert.equal(kubeLogRunnerRotates('1.34.0'), true);
  });

  it('only Windows Server 2016 is refused even with --allow-unsupported (the script is known to fail there)', () => {
    const hard = (t: Parameters<typeof evaluate>[0]) => evaluate(t).findings.filter((f) => f.overridable === false).map((f) => f.rule);
    assert.deepEqual(hard(t('2016', '1.13.12', 'docker', 'none')), ['windows-2016-bootstrap']);
    assert.deepEqual(hard(t('2019', '1.13.12', 'docker', 'flannel')), []);
    assert.deepEqual(hard(t('2022', '1.33.2', 'docker', 'calico')), []);
  });
});

describe('compat: kubelet and kube-proxy flags per version', () => {
  const base = { runtime: 'containerd' as const, cni: 'flannel' as const, nodeName: 'win-1', labels: {}, taints: [], sandboxImage: 'registry.k8s.io/pause:3.10.1' };
  for (const minor of [16, 20, 23, 24, 26, 27, 33, 34, 35, 37]) {
    for (const runtime of ['containerd', 'docker'] as const) {
      it(`1.${minor} ${runtime}: no removed flag`, () => {
        const version = `1.${minor}.0`;
        const flags = kubeletFlags({ ...base, runtime, kubernetesVersion: version });
        for (const removed of removedKubeletFlags(version)) assert.ok(!flags.some((f) => f.startsWith(removed)), `${removed} in ${flags.join(' ')}`);
        assert.ok(flags.includes('--windows-service'));
        assert.ok(flags.includes('--hostname-override=win-1'));
      });
    }
  }
  it('passes dockershim flags only before 1.24 and --container-runtime=remote only for CRI before 1.24', () => {
    const old = kubeletFlags({ ...base, runtime: 'docker', kubernetesVersion: '1.23.17' });
    assert.ok(old.includes('--network-plugin=cni'));
    assert.ok(old.some((f) => f.startsWith('--pod-infra-container-image=')));
    assert.ok(kubeletFlags({ ...base, kubernetesVersion: '1.23.17' }).includes('--container-runtime=remote'));
    assert.ok(!kubeletFlags({ ...base, kubernetesVersion: '1.24.0' }).some((f) => f.startsWith('--container-runtime=')));
  });
  it('carries labels and taints to kubelet registration', () => {
    const flags = kubeletFlags({ ...base, kubernetesVersion: '1.33.2', labels: { a: 'b', 'x.io/y': 'z' }, taints: ['os=windows:NoSchedule'] });
    assert.ok(flags.includes('--node-labels=a=b,x.io/y=z'));
    assert.ok(flags.includes('--register-with-taints=os=windows:NoSchedule'));
  });
  it('never sets locked kube-proxy gates; DSR from 1.33', () => {
    const p = (v: string) => kubeProxyFlags({ kubernetesVersion: v, nodeName: 'w', clusterCidr: '10.244.0.0/16', networkName: 'flannel.4096' });
    assert.ok(p('1.19.16').includes('--feature-gates=WinOverlay=true'));
    for (const v of ['1.20.0', '1.33.2', '1.34.0', '1.37.1']) assert.ok(!p(v).some((f) => f.startsWith('--feature-gates')));
    assert.ok(p('1.33.2').includes('--enable-dsr=true'));
    assert.ok(!p('1.32.0').includes('--enable-dsr=true'));
  });
});
