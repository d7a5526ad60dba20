// Quickstart web: serves a page listing the API's items; healthy when the API is.
import http from "node:http";

const port = Number(process.env.PORT);
const api = process.env.API_URL;
const server = http.createServer(async (req, res) => {
  try {
    const items = await (await fetch(`${api}/items`)).json();
    if (req.url === "/health") return res.end("ok\n");
    res.setHeader("content-type", "text/html");
    res.end(`<h1>quickstart (${process.env.COMPOSE_PROJECT_NAME})</h1><ul>${items.map((i) => `<li>${i.name}</li>`).join("")}</ul>\n`);
  } catch (e) {
    res.statusCode = 503;
    res.end(`api unreachable: ${e.message}\n`);
  }
});
server.listen(port, "127.0.0.1", () => console.log(`web listening on ${port}, api at ${api}`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
