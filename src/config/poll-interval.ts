/**
 * WIN_K8S_POLL_INTERVAL (milliseconds): how often cloud operations, consoles and diagnose's pods
 * are polled. Production pacing suits real clouds (seconds); emulators answer at once, and tests
 * set it low. Undefined when unset or not a positive number.
 */
export function pollIntervalFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const ms = Number(env.WIN_K8S_POLL_INTERVAL);
  return env.WIN_K8S_POLL_INTERVAL && Number.isFinite(ms) && ms > 0 ? ms : undefined;
}
