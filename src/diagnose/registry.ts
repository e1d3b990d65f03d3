import type { CheckDefinition } from './types.js';
import { CHECKS } from './checks.js';
import { PROBE_CHECKS } from './probe-checks.js';
import { NODE_HOST_CHECKS } from './node-host-checks.js';
import { NODE_RUNTIME_CHECKS } from './node-runtime-checks.js';
import { KUBELET_CHECKS } from './kubelet-checks.js';

/** API-side checks first, then the probes: a check runs after every check it depends on. */
export function allChecks(): readonly CheckDefinition[] {
  return [...CHECKS, ...KUBELET_CHECKS, ...PROBE_CHECKS, ...NODE_HOST_CHECKS, ...NODE_RUNTIME_CHECKS];
}

function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

/**
 * "node.*,!node.version-skew": includes are OR-ed (none means all), then excludes win.
 * Dependencies of a selected check are not pulled in: their absence just does not skip it.
 */
export function selectChecks(pattern: string | undefined, checks: readonly CheckDefinition[] = allChecks()): { selected: CheckDefinition[]; unknown: string[] } {
  const parts = (pattern ?? '').split(',').map((p) => p.trim()).filter((p) => p !== '');
  const includes = parts.filter((p) => !p.startsWith('!')).map(globToRegExp);
  const excludes = parts.filter((p) => p.startsWith('!')).map((p) => globToRegExp(p.slice(1)));
  const unknown = parts.filter((p) => !checks.some((c) => globToRegExp(p.replace(/^!/, '')).test(c.id)));
  const selected = checks.filter((c) => (includes.length === 0 || includes.some((r) => r.test(c.id))) && !excludes.some((r) => r.test(c.id)));
  return { selected, unknown };
}
