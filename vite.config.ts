import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The SPA is built into dist/client and served by the API server on the same port.
export default defineConfig({
  root: 'src/client',
  plugins: [react()],
  build: { outDir: '../../dist/client', emptyOutDir: true },
  server: {
    proxy: { '/api': { target: `http://127.0.0.1:${process.env.PORT ?? 8000}`, changeOrigin: false } },
  },
});
