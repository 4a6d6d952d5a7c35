// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { act, cleanup, render, screen } from '@testing-library/react';
import { userEvent } from '@testing-library/user-event';
import { Link, matchPath, RouterProvider, useRouter } from './router.js';

afterEach(cleanup);

describe('router', () => {
  it('matches patterns and decodes params', () => {
    expect(matchPath('/training/:jobId', '/training/training-0123456789ab')).toEqual({ jobId: 'training-0123456789ab' });
    expect(matchPath('/training/:jobId', '/training')).toBeNull();
    expect(matchPath('/training', '/training/')).toEqual({});
    expect(matchPath('/jobs/:jobId', '/jobs/a%20b')).toEqual({ jobId: 'a b' });
    expect(matchPath('/jobs/:jobId', '/jobs/%E0%A4%A')).toBeNull();
  });

  it('links push history without a reload; back restores the route', async () => {
    window.history.replaceState(null, '', '/characters');
    function Where() {
      return <p data-testid="where">{useRouter().path}</p>;
    }
    render(
      <RouterProvider>
        <Link to="/jobs/x">Jobs</Link>
        <Where />
      </RouterProvider>,
    );
    await userEvent.click(screen.getByRole('link', { name: 'Jobs' }));
    expect(screen.getByTestId('where').textContent).toBe('/jobs/x');
    expect(window.location.pathname).toBe('/jobs/x');
    await act(async () => {
      window.history.back();
      await new Promise((r) => setTimeout(r, 50));
    });
    expect(screen.getByTestId('where').textContent).toBe('/characters');
  });
});
