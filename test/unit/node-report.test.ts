import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { renderBootstrap } from '../../src/bootstrap/render.js';
import {
  expectedHnsNetwork,
  extractNodeReport,
  NODE_REPORT_BEGIN,
  NODE_REPORT_END,
  NodeReportSchema,
  nodeChecksScriptPath,
  renderNodeChecksScript,
  type NodeReport,
} from '../../src/diagnose/node-report.js';
import { parsePowerShell } from '../helpers/powershell.js';

/*
 * The fixtures in test/fixtures/node-checks/ are written by hand in the shape the script prints
 * under Windows PowerShell 5.1 (its ConvertTo-Json quirks included: one-element arrays collapsed
 * to the element, {"value": [...], "Count": n} wrappers, enums as numbers, "\/Date(ms)\/"); no
 * Windows machine is available to record them here.
 */
export function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`../fixtures/node-checks/${name}.json`, import.meta.url), 'utf8')) as unknown;
}

/** What a pod log looks like: PowerShell noise, the markers, one compressed JSON line, CRLF. */
function podLog(doc: unknown, opts: { bom?: boolean; prefix?: string } = {}): string {
  const p = opts.prefix ?? '';
  return [
    `${p}WARNING: HNS module not found, calling vmcompute.dll directly`,
    `${opts.bom ? '\uFEFF' : ''}${p}${NODE_REPORT_BEGIN}`,
    `${p}${JSON.stringify(doc)}`,
    `${p}${NODE_REPORT_END}`,
    '',
  ].join('\r\n');
}

function ok(log: string): NodeReport {
  const r = extractNodeReport(log);
  assert.ok('report' in r, `expected a report, got: ${'error' in r ? r.error : ''}`);
  return r.report;
}

function err(log: string): string {
  const r = extractNodeReport(log);
  assert.ok('error' in r, 'expected an error, got a report');
  return r.error;
}

const SCRIPT = readFileSync(nodeChecksScriptPath(), 'utf8');

describe('extractNodeReport', () => {
  it('reads the healthy fixture and undoes PowerShell 5.1 quirks', () => {
    const r = ok(podLog(fixture('healthy-containerd-flannel'), { bom: true }));
    assert.equal(r.schemaVersion, 1);
    assert.equal(r.hostname, 'WIN-1');
    assert.equal(r.os?.build, 20348);
    assert.equal(r.os?.ubr, 2849);
    // {"value": [...], "Count": 4} is the list itself.
    assert.equal(r.hns?.loadBalancers?.length, 4);
    // A collapsed one-element list is a list again.
    assert.deepEqual(r.hns?.loadBalancers?.[1]?.vips, ['10.96.0.10']);
    assert.deepEqual(r.hns?.networks?.[1]?.subnets, [{ addressPrefix: '10.244.21.0/24', gatewayAddress: '10.244.21.1' }]);
    assert.deepEqual(r.firewall?.ports?.[0]?.allowRules, ['win-k8s: win-k8s-kubelet']);
    assert.deepEqual(r.firewall?.ports?.[0]?.blockRules, []);
    assert.equal(r.services?.items?.find((s) => s.name === 'kubelet')?.status, 'Running');
    assert.deepEqual(r.logs?.matches, []);
  });

  it('reads the broken fixtures', () => {
    const k = ok(podLog(fixture('broken-kube-proxy-hns')));
    assert.equal(k.hns?.loadBalancers?.length, 1, 'the one remaining load balancer arrived as a bare object');
    assert.equal(k.logs?.matches?.[0]?.signature, 'hns-port-exists');
    const h = ok(podLog(fixture('broken-host-2025')));
    assert.deepEqual(h.firewall?.ports?.[2]?.blockRules, ['Block VXLAN (corp baseline)']);
    assert.equal(h.clock?.skewSeconds, -47.934);
  });

  it('maps enum numbers and \\/Date()\\/, and keeps section errors', () => {
    const r = ok(podLog(fixture('section-errors-old-script')));
    const containerd = r.services?.items?.find((s) => s.name === 'containerd');
    assert.equal(containerd?.status, 'Running');
    assert.equal(containerd?.startType, 'Automatic');
    assert.equal(r.services?.items?.find((s) => s.name === 'hns')?.startType, 'Manual');
    assert.deepEqual(r.services?.processes, [{ name: 'flanneld', running: 1 }]);
    assert.equal(r.generatedAt, new Date(1795896000000).toISOString());
    assert.match(r.hns?.error ?? '', /HNS returned nothing/);
    assert.equal(r.logs, undefined, 'a section the script did not send stays absent');
  });

  it('tolerates a report with only its version', () => {
    const r = ok(`${NODE_REPORT_BEGIN}\n{"schemaVersion":1}\n${NODE_REPORT_END}\n`);
    assert.equal(r.os, undefined);
  });

  it('takes the last report when the output holds several, and ignores line prefixes', () => {
    const first = fixture('broken-kube-proxy-hns');
    const second = fixture('healthy-containerd-flannel');
    const ts = '2026-11-28T20:00:00.123456789Z ';
    const r = ok(podLog(first) + podLog(second, { prefix: ts }));
    assert.equal(r.generatedAt, '2026-11-28T19:58:02.5123456Z');
  });

  it('reads pretty-printed JSON and JSON wrapped by the transport mid-string', () => {
    const doc = fixture('healthy-containerd-flannel');
    assert.equal(ok(`${NODE_REPORT_BEGIN}\n${JSON.stringify(doc, null, 4)}\n${NODE_REPORT_END}`).hostname, 'WIN-1');
    const line = JSON.stringify(doc);
    const wrapped = line.match(/.{1,120}/g)?.join('\r\n') ?? '';
    assert.notEqual(wrapped, line);
    assert.equal(ok(`${NODE_REPORT_BEGIN}\r\n${wrapped}\r\n${NODE_REPORT_END}`).hostname, 'WIN-1');
  });

  it('says there is no report, and shows how the output ends', () => {
    assert.match(err('the term powershell.exe is not recognized\n'), /no report in the output.*not recognized/);
    assert.match(err(''), /no report in the output.*empty/);
  });

  it('says the report is truncated', () => {
    const line = JSON.stringify(fixture('healthy-containerd-flannel'));
    assert.match(err(`${NODE_REPORT_BEGIN}\n${line}`), /report truncated: the output ends before WIN-K8S-NODE-REPORT-END/);
    assert.match(err(`${line.slice(-300)}\n${NODE_REPORT_END}\n`), /report truncated: WIN-K8S-NODE-REPORT-END without/);
    assert.match(err(`${NODE_REPORT_BEGIN}\n${line.slice(0, 500)}\n${NODE_REPORT_END}`), /report truncated: its JSON stops early/);
  });

  it('rejects JSON that is broken but not cut short', () => {
    assert.match(err(`${NODE_REPORT_BEGIN}\n{"schemaVersion": 1, "hostname": WIN-1}\n${NODE_REPORT_END}`), /not valid JSON/);
    assert.match(err(`${NODE_REPORT_BEGIN}\n\n${NODE_REPORT_END}`), /empty/);
  });

  it('names the invalid field', () => {
    const doc = fixture('healthy-containerd-flannel') as Record<string, Record<string, unknown>>;
    (doc['disk'] as Record<string, unknown>)['freeBytes'] = '68 GB';
    assert.match(err(podLog(doc)), /invalid field disk\.freeBytes/);
    const noVersion = fixture('healthy-containerd-flannel') as Record<string, unknown>;
    delete noVersion['schemaVersion'];
    assert.match(err(podLog(noVersion)), /invalid field schemaVersion/);
  });

  it("explains ConvertTo-Json's depth limit", () => {
    const doc = fixture('healthy-containerd-flannel') as { hns: { networks: Array<Record<string, unknown>> }; disk: unknown };
    (doc.hns.networks[1] as Record<string, unknown>)['subnets'] = 'System.Collections.Specialized.OrderedDictionary';
    assert.match(err(podLog(doc)), /invalid field hns\.networks\.1\.subnets\.0: .*-Depth limit/);
    doc.hns.networks[1]!['subnets'] = [];
    doc.disk = '@{drive=C:; freeBytes=73241092096; sizeBytes=136289628160}';
    assert.match(err(podLog(doc)), /invalid field disk: .*-Depth limit/);
  });

  it('refuses other schema versions and reports a script that could not serialise', () => {
    assert.match(err(`${NODE_REPORT_BEGIN}\n{"schemaVersion":2,"os":{}}\n${NODE_REPORT_END}`), /schema version 2, this win-k8s reads version 1/);
    assert.match(err(`${NODE_REPORT_BEGIN}\n{"schemaVersion":1,"hostname":"WIN-1","error":"ConvertTo-Json failed: boom"}\n${NODE_REPORT_END}`), /the node script failed: ConvertTo-Json failed: boom/);
    assert.match(err(`${NODE_REPORT_BEGIN}\n[1,2]\n${NODE_REPORT_END}`), /not a JSON object|empty/);
  });
});

describe('templates/diagnose/node-checks.ps1', () => {
  it('parses with tree-sitter-powershell without errors', () => {
    assert.deepEqual(parsePowerShell(SCRIPT), []);
  });

  it('the parse check catches a broken copy (negative control)', () => {
    const broken = SCRIPT.replace('function Get-DiskSection {', 'function Get-DiskSection {\n    $x = @(');
    assert.notEqual(broken, SCRIPT);
    assert.ok(parsePowerShell(broken).length > 0);
  });

  it('prints the markers the parser looks for, once each', () => {
    assert.equal(SCRIPT.split(`'${NODE_REPORT_BEGIN}'`).length, 2);
    assert.equal(SCRIPT.split(`'${NODE_REPORT_END}'`).length, 2);
  });

  it('sends only sections the schema knows', () => {
    const sent = [...SCRIPT.matchAll(/^\$report\.(\w+) = Invoke-Section -Name '(\w+)'/gm)].map((m) => [m[1], m[2]]);
    assert.ok(sent.length >= 11, `found ${sent.length} sections`);
    const known = Object.keys(NodeReportSchema.shape);
    for (const [key, name] of sent) {
      assert.equal(key, name, 'the section key and its name in errors differ');
      assert.ok(known.includes(key ?? ''), `section ${key} is not in NodeReportSchema`);
    }
  });

  it('uses no PowerShell 7-only syntax', () => {
    const code = SCRIPT.split('\n').filter((l) => !l.trim().startsWith('#'));
    for (const [i, line] of code.entries()) {
      assert.doesNotMatch(line, /\?\?|\?\.|ConvertFrom-Json -AsHashtable|-SkipHttpErrorCheck|ForEach-Object -Parallel|\s\?\s.+\s:\s/, `line ${i + 1}: ${line}`);
    }
  });
});

describe('expectedHnsNetwork', () => {
  const flannel = (over: Record<string, unknown>) => ({ type: 'flannel' as const, flannel: { namespace: 'kube-flannel', ...over } });

  it("is flannel.<VNI> for flannel vxlan (flannel's default name on Windows), Backend.Name when the net-conf sets one", () => {
    assert.deepEqual(expectedHnsNetwork(flannel({ backendType: 'vxlan', vni: 4096, port: 4789 })), { name: 'flannel.4096', type: 'Overlay' });
    assert.deepEqual(expectedHnsNetwork(flannel({ backendType: 'VXLAN', vni: 4097 })), { name: 'flannel.4097', type: 'Overlay' });
    // No VNI in a net-conf that was read: flannel's Windows default, 4096.
    assert.deepEqual(expectedHnsNetwork(flannel({ backendType: 'vxlan' })), { name: 'flannel.4096', type: 'Overlay' });
    assert.deepEqual(expectedHnsNetwork(flannel({ backendType: 'vxlan', vni: 4096, backendName: 'vxlan0' })), { name: 'vxlan0', type: 'Overlay' });
    assert.deepEqual(expectedHnsNetwork(flannel({ backendType: 'host-gw' })), { name: 'cbr0', type: 'L2Bridge' });
    assert.deepEqual(expectedHnsNetwork(flannel({ backendType: 'host-gw', backendName: 'l2' })), { name: 'l2', type: 'L2Bridge' });
  });

  it('accepts any flannel.<digits> when the net-conf could not be read, and never vxlan0', () => {
    const e = expectedHnsNetwork(flannel({}));
    assert.equal(e?.name, 'flannel.<VNI>');
    assert.ok(e?.pattern);
    assert.ok(e.pattern.test('flannel.4096') && e.pattern.test('flannel.5000'));
    assert.ok(!e.pattern.test('vxlan0') && !e.pattern.test('flannel.') && !e.pattern.test('xflannel.4096') && !e.pattern.test('flannel.4096x'));
  });

  it("is the network win-k8s's own join creates: kube-proxy's --network-name and the node's flannel net-conf", () => {
    const { script } = renderBootstrap({
      target: { windowsVersion: '2022', kubernetesVersion: '1.33.2', runtime: 'containerd', cni: 'flannel', hypervIsolation: false },
      nodeName: 'win-abcde',
      apiServer: 'cp.example.internal:6443',
      token: 'abcdef.0123456789abcdef',
      caCertHash: `sha256:${'a'.repeat(64)}`,
      serviceCidr: '10.96.0.0/12',
      clusterCidr: '10.244.0.0/16',
      labels: {},
      taints: [],
      proxy: { noProxy: [] },
      checksums: {},
      allowUnsupported: false,
      toolVersion: '0.0.0',
    });
    const networkName = /'--network-name=([^']+)'/.exec(script)?.[1];
    // The net-conf flanneld on the node reads, rendered as JSON. flannel names the network
    // Backend.Name, else flannel.<VNI>.
    const json = /FlannelNetConf\s*=\s*'(\{.*\})'/.exec(script)?.[1];
    assert.ok(json, 'the script carries flannel\'s net-conf');
    const backend = (JSON.parse(json) as { Backend: { Type?: string; VNI?: number; Name?: string } }).Backend;
    const vni = backend.VNI ?? 4096;
    assert.equal(backend.Name, undefined);
    assert.equal(networkName, `flannel.${vni}`);
    assert.equal(expectedHnsNetwork(flannel({ backendType: 'vxlan', vni, port: 4789 }))?.name, networkName);
  });
});

describe('renderNodeChecksScript', () => {
  it('binds the parameters by splatting and still parses', () => {
    const text = renderNodeChecksScript({ networkName: 'flannel.4096', networkType: 'Overlay', dnsServiceIp: '10.96.0.10', podCidr: '10.244.21.0/24', apiServerUrl: 'https://10.0.1.10:6443', logTailLines: 500 });
    assert.match(text, /^\$winK8sNodeChecks = @\{ NetworkName = 'flannel\.4096'; NetworkType = 'Overlay'; DnsServiceIp = '10\.96\.0\.10'; PodCidr = '10\.244\.21\.0\/24'; ApiServerUrl = 'https:\/\/10\.0\.1\.10:6443'; LogTailLines = 500 \}\n& \{\n/);
    assert.match(text, /\n\} @winK8sNodeChecks\n$/);
    assert.ok(text.includes(SCRIPT.replace(/\r\n/g, '\n').trimEnd()));
    assert.deepEqual(parsePowerShell(text), []);
  });

  it('passes only names the param() block declares', () => {
    const block = /^param\(([\s\S]*?)^\)/m.exec(SCRIPT)?.[1] ?? '';
    const declared = [...block.matchAll(/\]\$(\w+)/g)].map((m) => m[1]);
    const text = renderNodeChecksScript({ networkName: 'a', networkType: 'L2Bridge', dnsServiceIp: 'b', podCidr: 'c', apiServerUrl: 'd', logTailLines: 1, maxLinesPerSignature: 2 });
    const passed = [...(/^\$winK8sNodeChecks = @\{(.*)\}$/m.exec(text)?.[1] ?? '').matchAll(/(\w+) = /g)].map((m) => m[1]);
    assert.equal(passed.length, 7);
    for (const name of passed) assert.ok(declared.includes(name), `${name} is not a parameter of the script (declared: ${declared.join(', ')})`);
  });

  it('quotes values so they cannot break out of the string', () => {
    const text = renderNodeChecksScript({ networkName: "x'; Remove-Item C:\\ -Recurse; '" });
    assert.match(text, /NetworkName = 'x''; Remove-Item C:\\ -Recurse; '''/);
    assert.deepEqual(parsePowerShell(text), []);
    assert.throws(() => renderNodeChecksScript({ logTailLines: 0 }), /positive integer/);
    assert.throws(() => renderNodeChecksScript({ logTailLines: 1.5 }), /positive integer/);
  });

  it('finds the template next to the package', () => {
    assert.match(nodeChecksScriptPath().replace(/\\/g, '/'), /\/templates\/diagnose\/node-checks\.ps1$/);
  });
});
