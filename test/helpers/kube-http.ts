/**
 * A tiny HTTPS client for talking to the fake kube-apiserver in tests: JSON requests with a
 * bearer token or a client certificate, and a watch reader that collects newline-delimited events.
 */
import { request } from 'node:https';
import type { IncomingMessage } from 'node:http';

export interface KubeRequestOptions {
  method?: string;
  token?: string;
  cert?: { certPem: string; keyPem: string };
  body?: unknown;
  /** Default application/json (for PATCH pass the patch content type). */
  contentType?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export interface KubeResponse<T = any> {
  status: number;
  headers: IncomingMessage['headers'];
  /** Parsed JSON when the response is JSON, else the text. */
  body: T;
  text: string;
}

export interface KubeHttpClient {
  request<T = any>(path: string, opts?: KubeRequestOptions): Promise<KubeResponse<T>>;
  watch(path: string, opts?: KubeRequestOptions): KubeWatch;
}

export interface WatchEvent {
  type: string;
  object: any;
}

export interface KubeWatch {
  readonly events: WatchEvent[];
  /** Resolves when `n` events have arrived (rejects after timeoutMs). */
  waitForEvents(n: number, timeoutMs?: number): Promise<WatchEvent[]>;
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>;
  /** HTTP status of the watch response. */
  readonly status: Promise<number>;
  close(): void;
}

export function kubeHttpClient(baseUrl: string, caPem: string): KubeHttpClient {
  const base = new URL(baseUrl);
  const start = (path: string, opts: KubeRequestOptions) => {
    const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers };
    if (opts.token) headers['Authorization'] = `Bearer ${opts.token}`;
    let payload: Buffer | undefined;
    if (opts.body !== undefined) {
      payload = Buffer.from(typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body));
      headers['Content-Type'] = opts.contentType ?? 'application/json';
      headers['Content-Length'] = String(payload.length);
    }
    const req = request({
      host: base.hostname,
      port: base.port,
      path,
      method: opts.method ?? 'GET',
      headers,
      ca: caPem,
      agent: false,
      ...(opts.cert ? { cert: opts.cert.certPem, key: opts.cert.keyPem } : {}),
    });
    if (payload) req.write(payload);
    req.end();
    return req;
  };

  return {
    request<T>(path: string, opts: KubeRequestOptions = {}): Promise<KubeResponse<T>> {
      return new Promise((resolve, reject) => {
        const req = start(path, opts);
        req.setTimeout(opts.timeoutMs ?? 10000, () => req.destroy(new Error(`request ${path} timed out`)));
        req.on('error', reject);
        req.on('response', (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body: unknown = text;
            if ((res.headers['content-type'] ?? '').includes('json') && text.length > 0) body = JSON.parse(text);
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: body as T, text });
          });
          res.on('error', reject);
        });
      });
    },

    watch(path: string, opts: KubeRequestOptions = {}): KubeWatch {
      const events: WatchEvent[] = [];
      const waiters: Array<() => void> = [];
      let resolveEnded!: () => void;
      const ended = new Promise<void>((r) => (resolveEnded = r));
      let resolveStatus!: (n: number) => void;
      const status = new Promise<number>((r) => (resolveStatus = r));
      const req = start(path, opts);
      req.on('error', () => resolveEnded());
      req.on('response', (res) => {
        resolveStatus(res.statusCode ?? 0);
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          buf += c;
          let i: number;
          while ((i = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, i).trim();
            buf = buf.slice(i + 1);
            if (line) events.push(JSON.parse(line) as WatchEvent);
          }
          for (const w of waiters.splice(0)) w();
        });
        res.on('end', () => resolveEnded());
        res.on('close', () => resolveEnded());
      });
      return {
        events,
        ended,
        status,
        close: () => req.destroy(),
        waitForEvents(n: number, timeoutMs = 5000): Promise<WatchEvent[]> {
          return new Promise((resolve, reject) => {
            const deadline = setTimeout(() => reject(new Error(`watch ${path}: got ${events.length} of ${n} events: ${JSON.stringify(events.map((e) => `${e.type} ${e.object?.metadata?.name}`))}`)), timeoutMs);
            const check = (): void => {
              if (events.length >= n) {
                clearTimeout(deadline);
                resolve(events.slice(0, n));
              } else {
                waiters.push(check);
              }
            };
            check();
          });
        },
      };
    },
  };
}
