import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { App } from './App.js';
import { probeSessionEarly, TokenGate } from './components/TokenGate.js';
import { prefetchRoute, refetchOnMount } from './lib/boot-data.js';
import { preloadPage } from './lib/lazy-pages.js';
import { RouterProvider } from './lib/router.js';
import { createTrpcClient, trpc } from './lib/trpc.js';
import './styles.css';

function isClientError(error: unknown): boolean {
  const status = (error as { data?: { httpStatus?: number } } | null)?.data?.httpStatus;
  return typeof status === 'number' && status >= 400 && status < 500;
}

const queryClient = new QueryClient({
  defaultOptions: {
    // A 4xx will not get better by asking again; network and 5xx might.
    queries: { retry: (n, error) => !isClientError(error) && n < 2, refetchOnWindowFocus: false, refetchOnMount },
  },
});
const client = createTrpcClient();

// Everything the opened page waits on starts now, in parallel: the session probe, the page's
// chunk and its first queries (lib/boot-data.ts).
probeSessionEarly();
const pageChunk = preloadPage(window.location.pathname);
prefetchRoute(window.location.pathname, queryClient, client);

function Root() {
  return (
    <trpc.Provider client={client} queryClient={queryClient}>
      <QueryClientProvider client={queryClient}>
        <TokenGate>
          <RouterProvider>
            <App />
          </RouterProvider>
        </TokenGate>
      </QueryClientProvider>
    </trpc.Provider>
  );
}

// The first render waits for the page's chunk: rendered before it, the page would suspend, and
// React 19 keeps a Suspense fallback up for at least 300 ms once shown.
void pageChunk.then(() =>
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <Root />
    </StrictMode>,
  ),
);
