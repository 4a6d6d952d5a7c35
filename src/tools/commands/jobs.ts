/** `isengard jobs list|show|cancel|logs`. */
import { downloadJobLogs, followJobLogs, streamJobLogs, type RouterInputs } from '../client.js';
import { intFlag } from '../args.js';
import { EXIT, UsageError } from '../cli-errors.js';
import { table } from '../output.js';
import type { Command } from './command.js';
import { describeJob } from './job-view.js';

type ListInput = RouterInputs['jobs']['list'];

const list: Command = {
  path: 'jobs list',
  synopsis: '',
  summary: 'List recent jobs, newest first',
  options: ['type', 'status', 'limit'],
  minArgs: 0,
  maxArgs: 0,
  async run({ client, out, flags }) {
    // Filter values go to the server unchanged, which answers bad ones with its own sentence.
    const page = await client.jobs.list.query({
      ...(flags.type !== undefined ? { type: flags.type as ListInput['type'] } : {}),
      ...(flags.status !== undefined ? { status: flags.status as ListInput['status'] } : {}),
      ...(flags.limit !== undefined ? { limit: intFlag(flags.limit) as number } : {}),
    });
    out.result(page, () =>
      page.items.length === 0
        ? 'No jobs'
        : table(
            page.items.map((j) => ({ id: j.id, status: j.status, progress: `${Math.round(j.progress * 100)}%`, created: j.created_at, outputs: j.outputs.length })),
            ['id', 'status', 'progress', 'created', 'outputs'],
          ),
    );
    return EXIT.ok;
  },
};

const show: Command = {
  path: 'jobs show',
  synopsis: '<job_id>',
  summary: 'Show one job: status, progress, config, outputs',
  minArgs: 1,
  maxArgs: 1,
  async run(ctx) {
    const job = await ctx.client.jobs.get.query({ id: ctx.args[0]! });
    ctx.out.result(job, () => describeJob(ctx, job, { config: true }));
    return EXIT.ok;
  },
};

const cancel: Command = {
  path: 'jobs cancel',
  synopsis: '<job_id>',
  summary: 'Cancel a queued or running job',
  minArgs: 1,
  maxArgs: 1,
  async run({ client, out, args }) {
    const job = await client.jobs.cancel.mutate({ id: args[0]! });
    out.result(job, () => `${job.id} ${job.status === 'cancelled' ? 'cancelled' : 'cancelling (the worker stops it)'}`);
    return EXIT.ok;
  },
};

const logs: Command = {
  path: 'jobs logs',
  synopsis: '<job_id>',
  summary: "Print a job's log (readable; JSONL with --json)",
  details: ['--out <file> saves the raw JSONL instead of printing it.'],
  options: ['follow', 'out'],
  minArgs: 1,
  maxArgs: 1,
  async run({ conn, client, out, flags, args, signal }) {
    const id = args[0]!;
    if (flags.out !== undefined) {
      const saved = await downloadJobLogs(conn, id, flags.out, { follow: flags.follow, signal });
      out.result(saved, () => `${saved.path} (${saved.bytes} bytes)`);
      return EXIT.ok;
    }
    const lines = flags.follow ? followJobLogs(client, id, { signal }) : streamJobLogs(conn, id, { signal });
    for await (const line of lines) out.logLine(line);
    return EXIT.ok;
  },
};

/** `90d` or `90` → 90 days. */
export function parseAgeDays(text: string): number {
  const m = /^(\d{1,5})d?$/.exec(text.trim());
  if (!m) throw new UsageError(`Option '--older-than' must be a number of days like 90d, not '${text}'`);
  return Number(m[1]);
}

const prune: Command = {
  path: 'jobs prune',
  synopsis: '',
  summary: 'Move finished jobs older than --older-than out of Redis into the archive on the volume',
  details: ['Images, LoRAs and logs stay. Archived jobs are still shown by jobs show and the Jobs page.'],
  options: ['older-than', 'type'],
  minArgs: 0,
  maxArgs: 0,
  async run({ client, out, flags }) {
    if (flags['older-than'] === undefined) throw new UsageError("Option '--older-than' is required, e.g. --older-than 90d");
    const report = await client.jobs.prune.mutate({
      older_than_days: parseAgeDays(flags['older-than']),
      ...(flags.type !== undefined ? { type: flags.type as ListInput['type'] } : {}),
    });
    out.result(report, () => `Archived ${report.archived} finished job(s) created before ${report.cutoff} into ${report.archive_dir}`);
    return EXIT.ok;
  },
};

const repairIndex: Command = {
  path: 'jobs repair-index',
  synopsis: '',
  summary: 'Rebuild the job indexes (per status, per character) from the job records',
  minArgs: 0,
  maxArgs: 0,
  async run({ client, out }) {
    const report = await client.jobs.repairIndex.mutate();
    out.result(report, () =>
      [`Checked ${report.checked} job(s); ${report.fixed} index entr${report.fixed === 1 ? 'y' : 'ies'} fixed`, ...report.unreadable.map((id) => `unreadable record: ${id}`)].join('\n'),
    );
    return EXIT.ok;
  },
};

export const jobCommands = [list, show, cancel, logs, prune, repairIndex];
