"""A webhook receiver for a machine with no pager: listens on loopback (PORT) and prints
one line per delivery, `delivery <path> <alertname>=<status> ...`, for the tests to read
from the container log."""
import json
import os
from http.server import BaseHTTPRequestHandler, HTTPServer


class Sink(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        alerts = " ".join(f"{a['labels'].get('alertname')}={a.get('status')}" for a in body.get("alerts", []))
        print(f"delivery {self.path} {alerts}", flush=True)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


HTTPServer(("127.0.0.1", int(os.environ.get("PORT", "9099"))), Sink).serve_forever()
