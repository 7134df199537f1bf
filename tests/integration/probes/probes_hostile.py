"""A real OpenAI-shaped SSE endpoint on 127.0.0.1 whose answer the test sets: healthy tokens,
or an `{"error": ...}` event with text the test chooses (hostile text from an endpoint)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Endpoint:
    def __init__(self) -> None:
        self.error: str | None = None  # None: a healthy stream; else this error event
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                if endpoint.error is not None:
                    events = [{"error": endpoint.error}]
                else:
                    events = [{"choices": [{"text": t, "finish_reason": None}]} for t in "OK"]
                    events.append({"choices": [{"text": "", "finish_reason": "stop"}]})
                body = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
                self.wfile.write(body.encode())

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
