import { tracked } from '@trpc/server';
import { parseJobLogText, type JobLogLine } from '../../shared/job-log.js';
import type { LogChunk } from '../services/job-logs.service.js';
import type { Inputs } from '../inputs.js';
import { publicProcedure, router } from '../trpc.js';
import { toTRPCError } from '../error-mapping.js';

async function* mapStreamErrors<T>(stream: AsyncGenerator<T>): AsyncGenerator<T> {
  try {
    yield* stream;
  } catch (err) {
    throw toTRPCError(err);
  }
}

/** Each chunk of whole lines as one event whose id is the byte offset after it (the resume point). */
async function* logEvents(chunks: AsyncGenerator<LogChunk>) {
  for await (const chunk of chunks) {
    const lines: JobLogLine[] = parseJobLogText(chunk.text.toString('utf8'));
    yield tracked(String(chunk.offset), { lines });
  }
}

export const jobsRouter = (inputs: Inputs) =>
  router({
    get: publicProcedure.input(inputs.jobId).query(({ ctx, input }) => ctx.services.jobs.get(input.id)),
    list: publicProcedure
      .input(inputs.jobList)
      .query(({ ctx, input }) => ctx.services.jobs.list({ ...input, characterId: input.character_id })),
    cancel: publicProcedure.input(inputs.jobId).mutation(({ ctx, input }) => ctx.services.jobs.cancel(input.id)),
    /** Finished jobs created more than `older_than_days` ago leave Redis for the archive on the volume. */
    prune: publicProcedure
      .input(inputs.jobPrune)
      .mutation(({ ctx, input }) => ctx.services.jobs.prune({ olderThanDays: input.older_than_days, ...(input.type ? { type: input.type } : {}) })),
    /** Rebuilds the per-status and per-character indexes from the records. */
    repairIndex: publicProcedure.mutation(({ ctx }) => ctx.services.jobs.repairIndexes()),
    /**
     * Current record, then every change; ends after a terminal status. SSE. An unknown id is a
     * plain 404 before the stream opens; errors during the stream are mapped like any other.
     */
    onUpdate: publicProcedure.input(inputs.watchJob).subscription(async ({ ctx, input, signal }) => {
      await ctx.services.jobs.get(input.jobId);
      return mapStreamErrors(ctx.services.jobs.watch(input.jobId, signal));
    }),
    /**
     * The job's log lines: what is there, then each append, ending after a terminal status. SSE;
     * every event is tracked with its byte offset, so a reconnecting link resumes where it was
     * (it sends the last event id back as `lastEventId`). A job without a log is a plain 404.
     */
    onLog: publicProcedure.input(inputs.followLog).subscription(async ({ ctx, input, signal }) => {
      await ctx.services.jobLogs.requireLog(input.jobId);
      const from = input.lastEventId ? Number(input.lastEventId) : 0;
      return mapStreamErrors(logEvents(ctx.services.jobLogs.follow(input.jobId, { from, signal })));
    }),
  });
