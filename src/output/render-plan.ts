import type { PlanDocument } from '../plan/plan-document.js';
import { describeSteps } from '../plan/steps.js';
import type { Style } from './style.js';

const MARK = { pass: '✔', warn: '!', fail: '✖' } as const;

export function renderPlanHuman(plan: PlanDocument, s: Style): string {
  const c = plan.cluster;
  const t = plan.target;
  const mark = (status: string) => {
    const m = MARK[status as keyof typeof MARK] ?? '?';
    return status === 'pass' ? s.green(m) : status === 'warn' ? s.yellow(m) : s.red(m);
  };
  const lines = [
    s.bold('Cluster'),
    `  ${c.name} (${c.flavor}), Kubernetes ${c.version}, endpoint ${c.endpoint}`,
    `  CA ${c.caCertHash ?? 'unknown'}`,
    `  CNI ${c.cni.type}${c.cni.vni !== null ? ` (VXLAN VNI ${c.cni.vni}, port ${c.cni.port ?? '?'})` : ''}; services ${c.serviceCidr ?? '?'}, pods ${c.podCidr ?? '?'}, DNS ${c.dnsIp ?? '?'}`,
    '',
    s.bold('Target'),
    `  ${t.count} x Windows Server ${t.windowsVersion}, ${t.runtime}, Kubernetes ${t.kubernetesVersion}, CNI ${t.cni}${t.cloud ? ` on ${t.cloud}${t.region ? ` ${t.region}` : ''}` : ''}`,
    `  pool ${t.pool}: ${plan.nodes.map((n) => n.name).join(', ')}`,
    '',
    s.bold('Steps'),
    ...describeSteps(plan.steps).map((l) => `  ${l}`),
    '',
    s.bold('Preflight checks'),
    ...plan.checks.flatMap((ch) => [`  ${mark(ch.status)} ${ch.id.padEnd(22)} ${ch.message}`, ...(ch.hint && ch.status !== 'pass' ? [`    ${s.dim(`hint: ${ch.hint}`)}`] : [])]),
    '',
  ];
  const failed = plan.checks.filter((ch) => ch.status === 'fail').length;
  const warned = plan.checks.filter((ch) => ch.status === 'warn').length;
  lines.push(plan.joinable ? s.green(`joinable${warned ? ` (${warned} warning${warned > 1 ? 's' : ''})` : ''}`) : s.red(`not joinable: ${failed} check${failed > 1 ? 's' : ''} failed`));
  return lines.join('\n');
}
