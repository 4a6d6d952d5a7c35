import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { linkOrCopyRegular } from './safe-path.js';

const dirs: string[] = [];
const tmp = (base = os.tmpdir()) => {
  const d = fs.mkdtempSync(path.join(base, 'safe-path-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

// /dev/shm is another filesystem on Linux machines, so linking into it fails with EXDEV and the copy
// path runs; where it is missing the cross-device cases are skipped rather than faked.
const otherDevice = fs.existsSync('/dev/shm') && fs.statSync('/dev/shm').dev !== fs.statSync(os.tmpdir()).dev;

describe('linkOrCopyRegular', () => {
  it('hard-links a regular file on the same filesystem', async () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'a'), 'weights');
    expect(await linkOrCopyRegular(path.join(dir, 'a'), path.join(dir, 'b'))).toBe('link');
    expect(fs.statSync(path.join(dir, 'b')).nlink).toBe(2);
  });

  it('refuses a symlink instead of linking or copying what it points at', async () => {
    const dir = tmp();
    const secret = path.join(tmp(), 'secret');
    fs.writeFileSync(secret, 'host file');
    fs.symlinkSync(secret, path.join(dir, 'checkpoint.safetensors'));
    await expect(linkOrCopyRegular(path.join(dir, 'checkpoint.safetensors'), path.join(dir, 'out'))).rejects.toMatchObject({ code: 'EOUTSIDE' });
    expect(fs.existsSync(path.join(dir, 'out'))).toBe(false);
  });

  it('leaves EEXIST and ENOENT for the caller', async () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'a'), 'x');
    fs.writeFileSync(path.join(dir, 'b'), 'y');
    await expect(linkOrCopyRegular(path.join(dir, 'a'), path.join(dir, 'b'))).rejects.toMatchObject({ code: 'EEXIST' });
    await expect(linkOrCopyRegular(path.join(dir, 'gone'), path.join(dir, 'c'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it.runIf(otherDevice)('copies across filesystems, never through a link at the destination', async () => {
    const src = path.join(tmp(), 'a');
    fs.writeFileSync(src, 'weights');
    const other = tmp('/dev/shm');
    expect(await linkOrCopyRegular(src, path.join(other, 'copy'))).toBe('copy');
    expect(fs.readFileSync(path.join(other, 'copy'), 'utf8')).toBe('weights');

    const victim = path.join(other, 'victim');
    fs.writeFileSync(victim, 'untouched');
    fs.symlinkSync(victim, path.join(other, 'planted'));
    await expect(linkOrCopyRegular(src, path.join(other, 'planted'))).rejects.toMatchObject({ code: 'EEXIST' });
    expect(fs.readFileSync(victim, 'utf8')).toBe('untouched');
  });
});
