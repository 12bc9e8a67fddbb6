import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** A file of the web console, ready to send. */
export interface StaticFile {
  readonly body: Buffer;
  readonly type: string;
}

/** The console's files: plain HTML, CSS and a module script, no build step. */
const Files = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/login': ['login.html', 'text/html; charset=utf-8'],
  '/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/login.js': ['login.js', 'text/javascript; charset=utf-8'],
  '/app.css': ['app.css', 'text/css; charset=utf-8'],
  '/icon.svg': ['icon.svg', 'image/svg+xml'],
} as const;

/** Read the console's files (once, at start) from the package's `public/` folder. */
export async function loadStatic(): Promise<Map<string, StaticFile>> {
  const dir = fileURLToPath(new URL('../../public/', import.meta.url));
  const out = new Map<string, StaticFile>();
  for (const [path, [file, type]] of Object.entries(Files)) out.set(path, { body: await readFile(dir + file), type });
  return out;
}
