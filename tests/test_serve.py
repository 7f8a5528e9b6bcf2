"""``python -m minilambda serve``: a real boto3 client, signing with fake keys, over loopback HTTP."""

from __future__ import annotations

import subprocess
import sys

import boto3
import pytest
from botocore.config import Config

from helpers import ECHO, ROLE
from minilambda import zip_files


@pytest.fixture
def server():
    proc = subprocess.Popen([sys.executable, "-m", "minilambda", "serve", "--port", "0", "--seed", "1"],
                            stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("minilambda serving on http://127.0.0.1:"), line
        yield line.split()[-1]
    finally:
        proc.terminate()
        assert proc.wait(20) == 0


def test_serve_answers_a_real_signed_client(server):
    session = boto3.session.Session(aws_access_key_id="minilambda", aws_secret_access_key="minilambda", region_name="us-east-1")
    lam = session.client("lambda", endpoint_url=server, config=Config(retries={"total_max_attempts": 1}))
    lam.create_function(FunctionName="echo", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                        Code={"ZipFile": zip_files({"app.py": ECHO})})
    out = lam.invoke(FunctionName="echo", Payload=b'{"over": "http"}')
    assert out["Payload"].read() == b'{"over": "http"}'
    sqs = session.client("sqs", endpoint_url=server)
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="hi")
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "hi"
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName="missing")


def test_serve_rejects_a_bad_port():
    proc = subprocess.run([sys.executable, "-m", "minilambda", "serve", "--port", "70000"], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "between 0 and 65535" in proc.stderr
