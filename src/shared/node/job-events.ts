/**
 * Pub/sub fan-out: one subscriber connection per process, many listeners. Job updates carry the
 * whole record; cancel requests carry {id, by}.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { JobRecord } from '../jobs.js';
import { JOB_UPDATES_CHANNEL } from './job-store.js';
import { KEY_PREFIX } from './redis.js';

export const JOB_CANCEL_CHANNEL = `${KEY_PREFIX}job-cancel`;

export interface CancelRequest {
  id: string;
  by: string;
}

type UpdateListener = (record: JobRecord) => void;
type CancelListener = (request: CancelRequest) => void;

export class JobEvents {
  private readonly updateListeners = new Map<string, Set<UpdateListener>>();
  private readonly anyListeners = new Set<UpdateListener>();
  private readonly cancelListeners = new Set<CancelListener>();
  private readonly ready: Promise<unknown>;

  constructor(
    private readonly subscriber: Redis,
    private readonly logger: Logger,
  ) {
    this.subscriber.on('message', (channel: string, message: string) => this.dispatch(channel, message));
    this.ready = this.subscriber.subscribe(JOB_UPDATES_CHANNEL, JOB_CANCEL_CHANNEL).catch((err: unknown) => {
      this.logger.error({ err }, 'pub/sub subscribe failed');
    });
  }

  /** Resolves once SUBSCRIBE is acknowledged, so no update published after this is missed. */
  whenReady(): Promise<unknown> {
    return this.ready;
  }

  onJob(id: string, listener: UpdateListener): () => void {
    let set = this.updateListeners.get(id);
    if (!set) this.updateListeners.set(id, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.updateListeners.delete(id);
    };
  }

  onAnyJob(listener: UpdateListener): () => void {
    this.anyListeners.add(listener);
    return () => this.anyListeners.delete(listener);
  }

  onCancel(listener: CancelListener): () => void {
    this.cancelListeners.add(listener);
    return () => this.cancelListeners.delete(listener);
  }

  static publishCancel(redis: Redis, request: CancelRequest): Promise<number> {
    return redis.publish(JOB_CANCEL_CHANNEL, JSON.stringify(request));
  }

  private dispatch(channel: string, message: string): void {
    try {
      if (channel === JOB_UPDATES_CHANNEL) {
        const record = JSON.parse(message) as JobRecord;
        for (const l of this.updateListeners.get(record.id) ?? []) l(record);
        for (const l of this.anyListeners) l(record);
      } else if (channel === JOB_CANCEL_CHANNEL) {
        const request = JSON.parse(message) as CancelRequest;
        for (const l of this.cancelListeners) l(request);
      }
    } catch (err) {
      this.logger.warn({ err, channel }, 'ignored malformed pub/sub message');
    }
  }

  async close(): Promise<void> {
    this.subscriber.disconnect();
  }
}
