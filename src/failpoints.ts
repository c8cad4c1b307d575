/*
 * Failpoints: named places in the code where a crash test makes the process die on the spot, with
 * SIGKILL, as a power cut or an out-of-memory kill would: no cleanup, no commit, no rollback by us.
 * The test then starts the process again and checks that every side effect happened exactly once.
 * A point is armed by naming it in EMBARGO_FAILPOINTS (config.ts); an unarmed point costs one Set
 * lookup. Nothing arms a point in production.
 *
 * The points:
 *   go.before-commit      inside the go's transaction, after every write, before the commit
 *   job.after-commit      a job's work is committed, its completion is not recorded yet
 *   fanout.after-batch    a batch of an announcement's copies is committed, the rest is not
 *   email.before-send     an email was claimed, nothing was sent
 *   webhook.before-post   a webhook delivery was claimed, nothing was posted
 */

const armed = new Set<string>();

/** Arms the named points (once, at start-up). */
export function armFailpoints(names: readonly string[]): void {
  armed.clear();
  for (const name of names) armed.add(name);
}

/** Dies here if this point is armed. `detail` narrows it: 'job.after-commit:embargo.step' is armed by either name. */
export function failpoint(name: string, detail?: string): void {
  if (armed.size === 0) return;
  if (armed.has(name) || (detail !== undefined && armed.has(`${name}:${detail}`))) {
    process.kill(process.pid, 'SIGKILL');
  }
}
