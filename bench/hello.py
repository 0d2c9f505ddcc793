"""The baseline: the least a Flask app can do, served by the web image's own Gunicorn config.

`make bench` runs it as `gunicorn -c /app/gunicorn.conf.py bench.hello:app` with the web
service's worker, thread and CPU settings, so every figure in the report is a ratio to what
this machine's Gunicorn and Flask can do at all.
"""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, world!"
