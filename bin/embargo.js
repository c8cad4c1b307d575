#!/usr/bin/env node
// The installed CLI runs the compiled build; `npm run build` (or `npm start`) produces it.
import('../dist/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND') {
    console.error('embargo: dist/ is missing; run `npm run build` first.');
    process.exit(1);
  }
  throw err;
});
