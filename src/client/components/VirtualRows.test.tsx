// @vitest-environment happy-dom
import { act } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import { VirtualRows } from './VirtualRows.js';

afterEach(cleanup);

const items = (n: number) => Array.from({ length: n }, (_, i) => `job-${i}`);
const list = (n: number) => (
  <VirtualRows items={items(n)} itemKey={(s) => s} render={(s) => <a href={`/jobs/${s}`}>{s}</a>} className="job-list" rowHeight={100} gap={10} />
);

describe('VirtualRows', () => {
  it('a short list: every row, as a plain list', () => {
    render(list(40));
    expect(screen.getAllByRole('listitem')).toHaveLength(40);
    expect(screen.getByRole('list').className).toBe('job-list');
  });

  it('a long list: only the rows near the viewport, each placed by its index and numbered for assistive technology', async () => {
    render(list(5000));
    const ul = screen.getByRole('list');
    expect(ul.className).toBe('job-list windowed');
    expect(ul.style.height).toBe(`${5000 * 110 - 10}px`); // the scrollbar covers every row
    const rows = screen.getAllByRole('listitem');
    expect(rows.length).toBeLessThan(40);
    expect(rows[0]!.getAttribute('aria-posinset')).toBe('1');
    expect(rows[0]!.getAttribute('aria-setsize')).toBe('5000');
    expect(screen.getByRole('link', { name: 'job-0' })).toBeTruthy();

    // Scrolled 1000 rows down: the list's top is 110 000 px above the viewport.
    ul.getBoundingClientRect = () => ({ top: -110_000, bottom: 0, left: 0, right: 0, width: 0, height: 0, x: 0, y: -110_000, toJSON: () => ({}) });
    await act(async () => {
      window.dispatchEvent(new Event('scroll'));
      await new Promise((r) => setTimeout(r, 50)); // the scroll handler waits for a frame
    });
    const moved = screen.getAllByRole('listitem');
    expect(moved.length).toBeLessThan(40);
    expect(screen.queryByRole('link', { name: 'job-0' })).toBeNull();
    const shown = screen.getByRole('link', { name: 'job-1000' }).parentElement!;
    expect(shown.getAttribute('aria-posinset')).toBe('1001');
    expect(shown.style.top).toBe('110000px');
  });
});
