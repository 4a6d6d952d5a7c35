/**
 * Browser sessions: a random id in an HttpOnly cookie, its record in Redis with an idle expiry
 * that every use pushes back (sliding renewal). The record holds a fingerprint of the API token
 * it was opened with, so changing ISENGARD_API_TOKEN ends every session at once. Redis keys are
 * a hash of the id: a copy of the database does not hold usable cookies.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { KEY_PREFIX, withRedis } from '../../shared/node/redis.js';

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

export class SessionStore {
  private readonly binding: string;

  constructor(
    private readonly redis: Redis,
    private readonly opts: { token: string; idleMs: number },
  ) {
    this.binding = sha256(`isengard-session-binding:${opts.token}`);
  }

  private key(id: string): string {
    return `${KEY_PREFIX}session:${sha256(id)}`;
  }

  async create(): Promise<string> {
    const id = randomBytes(32).toString('base64url');
    await withRedis(() => this.redis.set(this.key(id), this.binding, 'PX', this.opts.idleMs));
    return id;
  }

  /** True when the session is open and belongs to the current token; renews its idle expiry. */
  async touch(id: string): Promise<boolean> {
    if (!SESSION_ID.test(id)) return false;
    const key = this.key(id);
    const bound = await withRedis(() => this.redis.getex(key, 'PX', this.opts.idleMs));
    if (bound === this.binding) return true;
    if (bound !== null) await withRedis(() => this.redis.del(key)); // opened with an older token
    return false;
  }

  async destroy(id: string): Promise<void> {
    if (SESSION_ID.test(id)) await withRedis(() => this.redis.del(this.key(id)));
  }
}
