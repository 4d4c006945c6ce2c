import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../../contracts/logging';

/** A probe answers with its state and a short reason shown in the response body. */
export interface ProbeResult {
  ok: boolean;
  detail: string;
}

export interface ProbeServerOptions {
  host: string;
  /** 0 picks a free port; read `port` on the returned handle. */
  port: number;
  liveness: () => ProbeResult;
  readiness: () => ProbeResult;
  registry: Registry;
  logger: Logger;
}

export interface ProbeServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Serves GET /healthz, /readyz (200 or 503 with a JSON body) and /metrics (Prometheus text format). */
export async function startProbeServer(options: ProbeServerOptions): Promise<ProbeServer> {
  const { liveness, readiness, registry, logger } = options;

  const sendProbe = (res: ServerResponse, result: ProbeResult): void => {
    res.writeHead(result.ok ? 200 : 503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: result.ok ? 'ok' : 'unavailable', detail: result.detail }));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    switch (path) {
      case '/healthz':
        return sendProbe(res, liveness());
      case '/readyz':
        return sendProbe(res, readiness());
      case '/metrics': {
        const body = await registry.metrics();
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(body);
        return;
      }
      default:
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: `no route ${path}` }));
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error({ err: error, url: req.url }, 'probe request failed');
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  // Probes are tiny; keep-alive sockets must not hold up shutdown.
  server.keepAliveTimeout = 1000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  logger.info({ host: options.host, port }, 'http server listening');

  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
