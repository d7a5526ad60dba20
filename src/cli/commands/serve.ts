// `sbx serve`: start the local API, say where it listens and where the token is, and
// stop cleanly on Ctrl-C or SIGTERM (events still in flight get their bounded wait).

import { createApiServer, ensureToken, loadHostConfig, startReaper, TokenFileError } from "../../apply/index.js";
import { error } from "../../compile/diagnostics.js";
import { parseListen } from "../../compile/host-config.js";
import { durationFlag, home, type GlobalOptions } from "../common.js";
import { err, finish, out } from "../output.js";

export async function serveCommand(_g: GlobalOptions, flags: { listen?: string; reapInterval?: string }): Promise<void> {
  const h = home();
  const hc = loadHostConfig(h, process.env);
  if (hc.diags.length) finish(hc.diags, hc.texts);
  const listenText = flags.listen ?? hc.config.serve.listen;
  const listen = parseListen(listenText);
  if (!listen) return finish([error(`Invalid --listen \`${listenText}'`, { code: "usage", detail: "Write host:port, such as 127.0.0.1:7878 ([::1]:7878 for IPv6)." })]);
  const reapMs = flags.reapInterval === "0" ? 0 : durationFlag("--reap-interval", flags.reapInterval, hc.config.serve.reapIntervalMs);
  let token;
  try {
    token = ensureToken(h);
  } catch (e) {
    if (e instanceof TokenFileError) return finish([error("Unusable API token file", { code: "state", detail: e.message })]);
    throw e;
  }
  const log = (line: string) => out(`${new Date().toISOString()} ${line}`);
  const server = createApiServer({ home: h, env: process.env, token: token.token, log });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(listen.port, listen.host, () => resolve());
  }).catch((e: NodeJS.ErrnoException) => finish([error(`Cannot listen on ${listenText}`, { code: "usage", detail: `${e.code === "EADDRINUSE" ? "Something else listens there" : e.message}. Choose another with --listen host:port.` })]));
  const address = server.address();
  const port = address && typeof address === "object" ? address.port : listen.port;
  const hostShown = listen.host.includes(":") ? `[${listen.host}]` : listen.host;
  if (!["127.0.0.1", "localhost", "::1"].includes(listen.host)) err(`Warning: listening on ${listenText} makes the API reachable from other machines over plain HTTP; the token is its only guard.`);
  out(`sbx serve: listening on http://${hostShown}:${port} (OpenAPI: /openapi.json)`);
  out(`Token: ${token.file}${token.created ? " (new)" : ""}; send Authorization: Bearer $(cat ${token.file})`);
  out(reapMs > 0 ? `Expired sandboxes are destroyed every ${Math.round(reapMs / 1000)}s.` : "Expired sandboxes are not destroyed by this server (--reap-interval 0).");
  const stopReaper = startReaper({ home: h, env: process.env, token: token.token, log }, reapMs);
  await new Promise<void>((resolve) => {
    const stop = () => {
      out("sbx serve: stopping");
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      stopReaper();
      server.close(() => resolve());
      server.closeAllConnections();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}
