// `npm start`: install if needed, build the app and serve it on localhost (it opens with the demo study).
import { ensureNodeModules, run } from './setup.js';

ensureNodeModules();
if (run('npx', ['vite', 'build', '--logLevel', 'warn']) !== 0) process.exit(1);
const port = process.env.PORT ?? '5173';
console.log(`\nvoxseg is running at http://localhost:${port}/  (Ctrl+C to stop)\n`);
process.exit(run('npx', ['vite', 'preview', '--port', port, '--strictPort', ...(process.env.CI ? [] : ['--open'])]));
