"""A tiny remote tagger that follows annotator's HTTP contract, serving a trained CRF model.

    python -m annotator.examples.crf_server var/models/project-1/crf-v1.crfsuite --port 8765

With REMOTE_MODEL_HOSTS=127.0.0.1:8765 in the settings (the administrator's list of model
servers), add http://127.0.0.1:8765/ as a remote model on the project's jobs page.
"""

from __future__ import annotations

import argparse
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from annotator.nlp.crf import Tagger


def make_handler(tagger: Tagger) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
            try:
                length = int(self.headers.get("Content-Length", 0))
                sentences = json.loads(self.rfile.read(length))["sentences"]
                body = json.dumps({"tags": [tagger.tag(tokens) for tokens in sentences]})
                status = 200
            except (ValueError, KeyError, TypeError) as error:
                body, status = json.dumps({"error": str(error)}), 400
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args) -> None:  # quiet
            pass

    return Handler


def serve(model: Path, host: str = "127.0.0.1", port: int = 8765) -> ThreadingHTTPServer:
    return ThreadingHTTPServer((host, port), make_handler(Tagger(model)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("model", type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    server = serve(args.model, args.host, args.port)
    print(f"Serving {args.model} on http://{args.host}:{server.server_port}/")
    server.serve_forever()


if __name__ == "__main__":
    main()
