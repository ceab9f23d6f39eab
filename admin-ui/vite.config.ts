import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vitest/config';

// The UI is served by Quire at /admin/ (index.html for any /admin/* path),
// next to the API at /admin/api. `npm run dev` proxies the API to a local Quire.
const target = 'http://127.0.0.1:8080';

export default defineConfig({
  base: '/admin/',
  plugins: [svelte()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2022',
  },
  server: {
    proxy: {
      '/admin/api': { target, changeOrigin: false },
      '/media': { target, changeOrigin: false },
    },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
    // A zone with DST and an offset, so datetime conversions are really tested.
    env: { TZ: 'Europe/Berlin' },
  },
});
