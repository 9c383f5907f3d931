"""`anjian witness serve`: the tlog-witness HTTP interface over audit.witness.

One route, `POST /add-checkpoint` (the submission and monitoring prefix is the server's root);
anything else is 404, another method 405. The standard library's threading HTTP server is
enough for one short POST per checkpoint, and it hands the body and the status, content type
and body of the answer through byte for byte (text/x.tlog.size on 409) with no framework in
between; the state's transaction, not the server, makes requests atomic.
"""

from __future__ import annotations

import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from audit.witness import Reply, Witness

__all__ = ["MAX_BODY", "serve"]

MAX_BODY = 64 * 1024  # a checkpoint note, up to 63 proof lines and some signatures


def _handler(witness: Witness) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the spec recommends

        def _answer(self, reply: Reply) -> None:
            body = reply.body.encode("utf-8")
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            if self.path.rstrip("/") != "/add-checkpoint":
                self._answer(Reply(404, "text/plain", "not found\n"))
                return
            try:
                length = int(self.headers.get("Content-Length", ""))
            except ValueError:
                self._answer(Reply(411, "text/plain", "Content-Length required\n"))
                return
            if not 0 <= length <= MAX_BODY:
                self.close_connection = True
                self._answer(Reply(413, "text/plain", "request too large\n"))
                return
            self._answer(witness.add_checkpoint(self.rfile.read(length)))

        def do_GET(self) -> None:
            self._answer(Reply(405, "text/plain", "POST /add-checkpoint\n"))

        def log_message(self, format: str, *args: object) -> None:
            sys.stderr.write(f"witness: {self.address_string()} {format % args}\n")

    return Handler


def serve(witness: Witness, host: str, port: int) -> None:
    """Serve until interrupted; print the address and the witness's vkey first."""
    server = ThreadingHTTPServer((host, port), _handler(witness))
    address = f"http://{host}:{server.server_address[1]}"
    print(f"witness {witness.cosigner.key.vkey} listening on {address}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
