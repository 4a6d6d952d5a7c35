/** API SIGTERM with requests in flight: they complete, new ones are refused, exit within 10 s. */
import { describe, expect, it } from 'vitest';
import { freePort, startRedis } from '../helpers/redis-server.js';
import { spawnNode, waitForLine } from '../helpers/stack.js';
import { tempDir, testEnv } from '../helpers/test-config.js';
import { pngOf } from '../helpers/fixtures.js';

describe('API graceful stop', () => {
  it('finishes an in-flight upload, refuses new connections and exits 0 in time', async () => {
    const redis = await startRedis();
    const port = await freePort();
    const api = spawnNode('src/server/main.ts', { ...testEnv(redis.url, tempDir()), PORT: String(port), LOG_LEVEL: 'info' });
    try {
      await waitForLine(api, /Isengard API listening/);
      const url = `http://127.0.0.1:${port}`;
      const res = await fetch(`${url}/api/trpc/characters.create`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Slow', trigger_word: 'slow_person' }),
      });
      const { id } = ((await res.json()) as { result: { data: { id: string } } }).result.data;

      // A multipart body trickled out over ~1.5 s, SIGTERM in the middle of it.
      const boundary = 'xxBOUNDARYxx';
      const png = await pngOf(400, 400);
      const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="images"; filename="slow.png"\r\nContent-Type: image/png\r\n\r\n`);
      const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
      const body = Buffer.concat([head, png, tail]);
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (sent >= body.length) return controller.close();
          await new Promise((r) => setTimeout(r, 150));
          const chunk = body.subarray(sent, sent + Math.ceil(body.length / 10));
          sent += chunk.length;
          controller.enqueue(new Uint8Array(chunk));
        },
      });
      const upload = fetch(`${url}/api/characters/${id}/images`, {
        method: 'POST',
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
        body: stream,
        duplex: 'half',
      } as RequestInit);
      await new Promise((r) => setTimeout(r, 400));
      const stoppedAt = Date.now();
      api.child.kill('SIGTERM');
      await waitForLine(api, /stopping: finishing in-flight requests/);
      await expect(fetch(`${url}/api/info`)).rejects.toThrow();
      const result = await upload;
      expect(result.status).toBe(200);
      expect(((await result.json()) as { uploaded: unknown[] }).uploaded).toHaveLength(1);
      expect(await api.exited).toBe(0);
      expect(Date.now() - stoppedAt).toBeLessThan(10_000);
    } finally {
      if (api.child.exitCode === null) api.child.kill('SIGKILL');
      await redis.stop();
    }
  });
});
