// Quickstart API: answers /health and /items on $PORT.
import http from "node:http";

const port = Number(process.env.PORT);
const server = http.createServer((req, res) => {
  res.setHeader("content-type", "application/json");
  if (req.url === "/health") return res.end(JSON.stringify({ ok: true, env: process.env.APP_ENV }));
  if (req.url === "/items") return res.end(JSON.stringify([{ id: 1, name: "first" }, { id: 2, name: "second" }]));
  res.statusCode = 404;
  res.end(JSON.stringify({ error: "not found" }));
});
server.listen(port, "127.0.0.1", () => console.log(`api listening on ${port}`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
