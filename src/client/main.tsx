import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { App } from './App.js';
import { TokenGate } from './components/TokenGate.js';
import { RouterProvider } from './lib/router.js';
import { createTrpcClient, trpc } from './lib/trpc.js';
import './styles.css';

function isClientError(error: unknown): boolean {
  const status = (error as { data?: { httpStatus?: number } } | null)?.data?.httpStatus;
  return typeof status === 'number' && status >= 400 && status < 500;
}

function Root() {
  const [queryClient] = useState(
    () =>
      new QueryClient({
        defaultOptions: {
          // A 4xx will not get better by asking again; network and 5xx might.
          queries: { retry: (n, error) => !isClientError(error) && n < 2, refetchOnWindowFocus: false },
        },
      }),
  );
  const [client] = useState(() => createTrpcClient());
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

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Root />
  </StrictMode>,
);
