import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { Command } from 'commander';
import { pino } from 'pino';
import { tlsFilesOf, type ConfigFlags } from '../core/config.js';
import { fail } from './output.js';
import { buildApp } from '../http/app.js';
import { bootstrapDefaultWorkspace } from '../workspaces/bootstrap.js';
import { ensureSecretKey } from '../core/secret-key.js';
import { openMigratedStorage, withStorageFlags } from './storage-options.js';
import { DeliveryWorker } from '../delivery/delivery-worker.js';

export function registerServe(program: Command): void {
  withStorageFlags(program.command('serve'))
    .description('start the API (and the delivery workers)')
    .option('--port <port>', 'port to listen on (TIDEWATCH_PORT, default 8080)')
    .option('--host <host>', 'address to listen on (TIDEWATCH_HOST, default 127.0.0.1)')
    .option('--tls-cert <file>', 'PEM certificate (chain) to serve HTTPS with (TIDEWATCH_TLS_CERT); needs --tls-key')
    .option('--tls-key <file>', 'PEM private key of --tls-cert (TIDEWATCH_TLS_KEY)')
    .action(async (flags) => {
      // Checked before the database is opened: a TLS mistake must stop the server, never fall back to plain HTTP.
      const https = readTls(flags);
      const { config, storage, applied } = await openMigratedStorage(flags);
      const logger = pino({ level: config.logLevel, base: { service: 'tidewatch' } });
      logger.info({ database: storage.location, migrations: applied }, 'database ready');
      const secretKey = ensureSecretKey(config);
      const { token } = await bootstrapDefaultWorkspace(storage.db, config.bootstrapToken);
      if (token && !config.bootstrapToken) {
        // Printed once, to stdout, as spec README says; it is not logged.
        process.stdout.write(`\nAdmin token for workspace "default" (shown once, keep it safe):\n\n  ${token}\n\n`);
      }
      const app = await buildApp({ storage, config, logger, secretKey, ...(https ? { https } : {}) });
      // One delivery worker per process; with PostgreSQL several processes share the work (notifications.md "Scale").
      const worker = new DeliveryWorker({
        storage,
        publicUrl: config.publicUrl,
        schedule: config.deliverySchedule,
        timeoutMs: config.deliveryTimeoutMs,
        leaseMs: config.deliveryLeaseMs,
        maxInFlight: config.deliveryConcurrency,
        maxPerTarget: config.deliveryPerReceiver,
        allow: config.outboundAllow,
        secretKey,
        smtpUrl: config.smtpUrl,
        smtpFrom: config.smtpFrom,
        logger,
      }).start();
      await app.listen({ port: config.port, host: config.host });
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      logger.info({ url: `${https ? 'https' : 'http'}://${config.host}:${port}`, port, tls: https !== null, public_url: config.publicUrl }, 'tidewatch listening');

      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'shutting down: finishing in-flight requests and delivery attempts');
        // app.close stops accepting and waits for in-flight requests; the worker stops claiming, gives back what it
        // has not started and records the attempts in flight; then the database is closed.
        await Promise.all([app.close(), worker.stop()]);
        await storage.close();
        logger.info('stopped');
        process.exit(0);
      };
      process.on('SIGTERM', () => void stop('SIGTERM'));
      process.on('SIGINT', () => void stop('SIGINT'));
    });
}

/** The TLS certificate and key, read and checked to belong together; null without TLS. Any problem exits 2. */
function readTls(flags: Pick<ConfigFlags, 'tlsCert' | 'tlsKey'>): { cert: Buffer; key: Buffer } | null {
  let files;
  try {
    files = tlsFilesOf(flags);
  } catch (error) {
    return fail((error as Error).message, 2);
  }
  if (files === null) return null;
  const read = (file: string, what: string) => {
    try {
      return readFileSync(file);
    } catch (error) {
      return fail(`${what} ${file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 2);
    }
  };
  const tls = { cert: read(files.certFile, '--tls-cert'), key: read(files.keyFile, '--tls-key') };
  try {
    // The same check Node's HTTPS server makes when it starts, made here so the message says which flags to fix.
    createSecureContext(tls);
  } catch (error) {
    return fail(`--tls-cert ${files.certFile} and --tls-key ${files.keyFile} are not a PEM certificate and its private key: ${(error as Error).message}`, 2);
  }
  return tls;
}
