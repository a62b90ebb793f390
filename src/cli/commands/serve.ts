/**
 * `voxseg serve [DIST] [--port N] [--host H] [--dicomweb NAME=URL]… [--user U --password P | --token T]`:
 * serve the built app with the headers it needs (cross-origin isolation, a strict CSP) and proxy
 * `/dicomweb/NAME/…` to each configured DICOMweb server, adding the credentials server-side (see
 * ../serve-server.ts). Runs until interrupted; logs one line at start (URL and proxied servers,
 * never secrets).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VoxsegError } from '../../core/errors';
import { dicomwebHelp, dicomwebOptions, describeServer, serversFrom } from '../dicomweb';
import { startServer } from '../serve-server';
import { parse, parseInteger, usage, type Command } from '../util';

const help = `Usage: voxseg serve [DIST] [--port N] [--host H] [--dicomweb NAME=URL]...
                    [--user U --password P | --token T]

Serve the built voxseg app (default: the project's dist/ folder, made by 'npm run build')
and proxy /dicomweb/NAME/... to each --dicomweb server, so the app reaches a PACS inside
the network without the PACS sending CORS headers. In the app, add the server with the
base URL /dicomweb/NAME. Credentials given here are added by this server; the browser
never sees them (without them, the browser's own Authorization header is passed on).

Every response carries cross-origin isolation headers and a strict Content-Security-Policy
(scripts only from this server, network requests only to it and the configured servers).

Options:
  -p, --port N          port (default 8080; 0 picks a free one)
      --host H          address to listen on (default 127.0.0.1; 0.0.0.0 for the network)
${dicomwebHelp}
  -h, --help            show this help

Runs until interrupted (Ctrl+C). Exit status: 1 when it cannot start, 2 usage.
`;

/** The project's build folder: dist/ beside package.json. */
export function defaultDist(): string {
  return join(dirname(fileURLToPath(new URL('../../../package.json', import.meta.url))), 'dist');
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'serve the built app and proxy DICOMweb servers (credentials kept server-side)',
  help,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      port: { type: 'string', short: 'p' },
      host: { type: 'string' },
      ...dicomwebOptions,
    });
    if (values.help) {
      io.out(help);
      return 0;
    }
    if (positionals.length > 1) throw usage('serve takes one folder (the built app)');
    const root = positionals[0] ?? defaultDist();
    if (!existsSync(join(root, 'index.html')))
      throw new VoxsegError(
        'not-found',
        positionals[0]
          ? 'no index.html here: give the folder of a built voxseg app'
          : "the app is not built yet: run 'npm run build' (or 'npx vite build') in the project first",
        { file: root },
      );
    const port = parseInteger(values.port, 'port') ?? 8080;
    if (port < 0 || port > 65535) throw usage(`--port must be 0..65535, got ${port}`);
    const servers = serversFrom(values);
    if (!servers.length && (values.user !== undefined || values.token !== undefined))
      throw usage('--user/--token apply to --dicomweb servers; none is given');
    let started;
    try {
      started = await startServer({ root, servers, port, host: values.host });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new VoxsegError(
        'unreadable',
        `cannot listen on ${values.host ?? '127.0.0.1'}:${port} (${code ?? (e instanceof Error ? e.message : e)})`,
      );
    }
    const proxied = servers.map((s) => `/dicomweb/${s.name} -> ${describeServer(s)}`).join('; ');
    io.out(`voxseg serve: ${started.url} serving ${root}${proxied ? `; proxying ${proxied}` : ''}\n`);
    const host = values.host ?? '127.0.0.1';
    if (!/^(127\.|::1$|localhost$)/.test(host) && servers.some((s) => s.auth.kind !== 'none'))
      io.err(
        `voxseg serve: warning: listening on ${host} with credentials for ${servers
          .filter((s) => s.auth.kind !== 'none')
          .map((s) => s.name)
          .join(', ')}: ` +
          'anyone who can reach this port can search, read and store on that server as that user; ' +
          'keep it on a trusted network or behind your own sign-in\n',
      );
    await new Promise<void>((res) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        void started.close().then(res);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    return 0;
  },
};
