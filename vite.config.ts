import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The SPA is built into dist/client and served by the API server on the same port.
export default defineConfig({
  root: 'src/client',
  plugins: [react()],
  build: {
    outDir: '../../dist/client',
    emptyOutDir: true,
    // The manifest lets the server name a page's chunks in index.html (static.route.ts: modulepreload).
    manifest: true,
    // Every browser the app supports knows modulepreload; one that does not only loses the head start.
    modulePreload: { polyfill: false },
  },
  server: {
    proxy: { '/api': { target: `http://127.0.0.1:${process.env.PORT ?? 8000}`, changeOrigin: false } },
  },
});
