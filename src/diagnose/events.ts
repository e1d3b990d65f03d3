import type * as k8s from '@kubernetes/client-node';

/**
 * When an event last happened, whichever of its time fields the API server filled. Both the
 * checks (recent sandbox failures) and the workspace (a stuck pod's latest warnings) order by it.
 */
export function eventTime(e: k8s.CoreV1Event): number {
  const t = e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp;
  // An event without any time is taken as recent: better a stale warning than a hidden fault.
  return t ? new Date(t as unknown as string).getTime() : Date.now();
}
