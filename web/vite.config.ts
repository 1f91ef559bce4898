// Vite builds the dashboard into web/dist, which `rallyuxr serve --web-root web/dist` serves at /.
// `npm run dev` proxies /api to a running server (RALLYUXR_API, default http://127.0.0.1:8080).
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2020',
    sourcemap: false,
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 300,
  },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/api': process.env.RALLYUXR_API ?? 'http://127.0.0.1:8080',
    },
  },
});
