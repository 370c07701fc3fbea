/**
 * Write points: every place a step writes to the table, the artifact store or Lambda. A crash can happen after
 * any of them, so the next run must complete what was left; the crash test (test/integration/crash-points.test.ts)
 * kills a real `lamina run` after each in turn and checks that the rerun converges.
 *
 * LAMINA_CRASH_AFTER=<point> (tests only; never set in a deployment) makes the process die at once after that
 * write, as a power cut would: SIGKILL, so no finally block, Catch or retry runs.
 */
export const WRITE_POINTS = [
  'plan:target',
  'plan:outcome',
  'build:artifact',
  'build:layer',
  'build:build-item',
  'build:input-item',
  'plan-publishes:items',
  'publish:claim',
  'publish:layer-version',
  'publish:permission',
  // The version item: right after PublishLayerVersion for a version made just now, else first thing recordPublished writes.
  'publish:version-item',
  'publish:latest-pointer',
  'publish:deprecate',
  'publish:outcome',
  'report:run',
  'report:regions',
  'report:export',
  'expire:delete',
  'expire:mark-deleted',
] as const;
export type WritePoint = (typeof WRITE_POINTS)[number];

export function afterWrite(point: WritePoint): void {
  if (process.env.LAMINA_CRASH_AFTER !== point) return;
  process.kill(process.pid, 'SIGKILL');
}
