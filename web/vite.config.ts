import preact from '@preact/preset-vite';
import { defineConfig } from 'vitest/config';

// One JS and one CSS file with hashed names under /assets (served with a
// year-long immutable cache by todo-api); no inline scripts, so the page's
// CSP can stay script-src 'self'.
export default defineConfig({
  plugins: [preact()],
  build: {
    target: 'es2022',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
